// Field readers shared by decode.cpp (project, networks, volumes, secrets, configs) and decode_service.cpp
// (services). Not a public header.
#pragma once

#include <string>
#include <vector>

#include "compose/decode.h"
#include "compose/diagnostic.h"

namespace berth::compose::detail {

class Reader {
 public:
  explicit Reader(const DecodeContext& context) : context_(context) {}

  Result<std::string> text(const Node& node, const KeyPath& path) const;
  Result<bool> flag(const Node& node, const KeyPath& path) const;
  Result<int64_t> integer(const Node& node, const KeyPath& path) const;
  Result<uint64_t> unsigned_integer(const Node& node, const KeyPath& path) const;
  Result<double> number(const Node& node, const KeyPath& path) const;
  Result<Nanoseconds> duration(const Node& node, const KeyPath& path) const;
  Result<Bytes> bytes(const Node& node, const KeyPath& path) const;
  Result<int64_t> file_mode(const Node& node, const KeyPath& path) const;
  // A string, or a list of strings (numbers become their text).
  Result<std::vector<std::string>> strings(const Node& node, const KeyPath& path) const;
  // KEY=VALUE list or mapping; null values become "" (labels, sysctls, options).
  Result<Mapping> mapping(const Node& node, const KeyPath& path) const;
  // KEY=VALUE list or mapping; KEY alone or a null value stay unset (environment, build args).
  Result<OptionalMapping> optional_mapping(const Node& node, const KeyPath& path) const;
  Result<MultiMapping> multi_mapping(const Node& node, const KeyPath& path) const;
  Result<MultiMapping> hosts(const Node& node, const KeyPath& path) const;
  Result<ShellCommand> command(const Node& node, const KeyPath& path) const;
  Result<FileReference> file_reference(const Node& node, const KeyPath& path) const;
  Result<Ulimit> ulimit(const Node& node, const KeyPath& path) const;
  Result<DeviceRequest> device_request(const Node& node, const KeyPath& path) const;
  Result<ServiceHook> hook(const Node& node, const KeyPath& path) const;
  Extensions extensions(const Node& mapping) const;
  Result<void> expect_mapping(const Node& node, const KeyPath& path) const;

  void warn(std::string message) const {
    if (context_.warnings) context_.warnings->push_back(std::move(message));
  }
  const DecodeContext& context() const { return context_; }

 private:
  const DecodeContext& context_;
};

Result<ServiceConfig> decode_service(const Reader& reader, const std::string& name, const Node& node,
                                     const KeyPath& path);

}  // namespace berth::compose::detail
