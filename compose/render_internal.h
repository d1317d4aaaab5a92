// The printing helpers shared by render.cpp (the project, networks, volumes, secrets, configs) and
// render_service.cpp (services): each model struct becomes an OutValue with the reference's field order, leaving out
// what Go's `omitempty` leaves out. `json_` selects encoding/json's few differences (fields it always prints, structs
// it never omits, extensions it leaves out). Not a public header.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compose/emit.h"
#include "compose/go_format.h"
#include "compose/project.h"

namespace berth::compose::detail {

class PrinterBase {
 public:
  explicit PrinterBase(bool json) : json_(json) {}

 protected:
  // ---- omitempty fields ----
  static void text(OutValue& m, const char* key, const std::string& value) {
    if (!value.empty()) m.add(key, OutValue::of(value));
  }
  static void flag(OutValue& m, const char* key, bool value) {
    if (value) m.add(key, OutValue::of(true));
  }
  static void integer(OutValue& m, const char* key, int64_t value) {
    if (value != 0) m.add(key, OutValue::of(value));
  }
  static void float32(OutValue& m, const char* key, float value) {
    if (value != 0) m.add(key, OutValue::of(static_cast<double>(value), 32));
  }
  static void bytes(OutValue& m, const char* key, Bytes value) {
    if (value != 0) m.add(key, OutValue::of(std::to_string(value)));  // UnitBytes prints as a string
  }
  static void duration(OutValue& m, const char* key, const std::optional<Nanoseconds>& value) {
    if (value) m.add(key, OutValue::of(go_duration_string(*value)));
  }
  static OutValue strings(const std::vector<std::string>& values) {
    OutValue list = OutValue::list();
    for (const std::string& v : values) list.items.push_back(OutValue::of(v));
    return list;
  }
  static void string_list(OutValue& m, const char* key, const std::vector<std::string>& values) {
    if (!values.empty()) m.add(key, strings(values));
  }
  static OutValue mapping(const Mapping& values) {
    OutValue out = OutValue::map(true);
    for (const auto& [k, v] : values) out.add(k, OutValue::of(v));
    return out;
  }
  static void string_map(OutValue& m, const char* key, const Mapping& values) {
    if (!values.empty()) m.add(key, mapping(values));
  }
  static void optional_map(OutValue& m, const char* key, const OptionalMapping& values) {
    if (values.empty()) return;
    OutValue out = OutValue::map(true);
    for (const auto& [k, v] : values) out.add(k, v ? OutValue::of(*v) : OutValue::null());
    m.add(key, std::move(out));
  }
  static void multi_map(OutValue& m, const char* key, const MultiMapping& values) {
    if (values.empty()) return;
    OutValue out = OutValue::map(true);
    for (const auto& [k, v] : values) out.add(k, strings(v));
    m.add(key, std::move(out));
  }
  // extra_hosts print as a sorted host=address list.
  static void hosts(OutValue& m, const char* key, const MultiMapping& values) {
    if (values.empty()) return;
    std::vector<std::string> list;
    for (const auto& [host, addresses] : values)
      for (const std::string& address : addresses) list.push_back(host + "=" + address);
    std::sort(list.begin(), list.end());
    m.add(key, strings(list));
  }
  template <class T, class F>
  static OutValue sorted_map(const std::map<std::string, T>& values, F convert) {
    OutValue out = OutValue::map(true);
    for (const auto& [k, v] : values) out.add(k, convert(v));
    return out;
  }
  static std::vector<std::pair<std::string, const Value*>> sorted_extensions(const Extensions& extensions) {
    std::vector<std::pair<std::string, const Value*>> out;
    for (const auto& [k, v] : extensions) out.emplace_back(k, &v);
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return go_yaml_key_less(a.first, b.first); });
    return out;
  }
  // Extensions are written inline after the attributes in YAML; encoding/json leaves them out.
  void extensions(OutValue& m, const Extensions& values) const {
    if (json_) return;
    for (const auto& [key, value] : sorted_extensions(values)) m.add(key, extension(*value));
  }
  static OutValue extension(const Value& value) {
    switch (value.kind) {
      case Value::Kind::null: return OutValue::null();
      case Value::Kind::boolean: return OutValue::of(value.boolean);
      case Value::Kind::integer: return OutValue::of(value.integer);
      case Value::Kind::number: return OutValue::of(value.number);
      case Value::Kind::string: return OutValue::of(value.string);
      case Value::Kind::list: {
        OutValue list = OutValue::list();
        for (const Value& item : value.list) list.items.push_back(extension(item));
        return list;
      }
      case Value::Kind::map: {
        OutValue map = OutValue::map(true);  // decoded into a Go map: keys sorted
        for (const auto& [k, v] : value.map) map.add(k, extension(v));
        return map;
      }
    }
    return OutValue::null();
  }


  bool json_;
};

class ServicePrinter : public PrinterBase {
 public:
  using PrinterBase::PrinterBase;
  OutValue service(const ServiceConfig& s) const;

 private:
  OutValue command(const std::optional<ShellCommand>& value) const;
  OutValue file_reference(const FileReference& f) const;
  OutValue ulimit(const Ulimit& u) const;
  OutValue hook(const ServiceHook& h) const;
  OutValue device_request(const DeviceRequest& d) const;
  OutValue build(const BuildConfig& b) const;
  OutValue develop(const DevelopConfig& d) const;
  OutValue throttle(const std::vector<ThrottleDevice>& devices) const;
  OutValue blkio(const BlkioConfig& b) const;
  OutValue update(const UpdateConfig& u) const;
  OutValue resource(const Resource& r) const;
  OutValue deploy(const DeployConfig& d) const;
  OutValue healthcheck(const HealthCheck& h) const;
  OutValue port(const ServicePort& p) const;
  OutValue volume_mount(const ServiceVolume& v) const;
  OutValue service_network(const std::optional<ServiceNetwork>& value) const;
  template <class T, class F>
  void list(OutValue& m, const char* key, const std::vector<T>& values, F convert) const {
    if (values.empty()) return;
    OutValue out = OutValue::list();
    for (const T& v : values) out.items.push_back(convert(v));
    m.add(key, std::move(out));
  }
};

}  // namespace berth::compose::detail
