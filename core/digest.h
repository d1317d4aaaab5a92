// SHA-256 digests in OCI's "sha256:<hex>" form. OpenSSL stays in digest.cpp.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace berth {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Lowercase hex of the digest; the object is spent after this.
  std::string finish_hex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string sha256_hex(std::string_view data);
// "sha256:" + hex.
std::string sha256_digest(std::string_view data);
Result<std::string> sha256_file_hex(const std::string& path);

// True for "sha256:" followed by exactly 64 lowercase hex digits.
bool is_sha256_digest(std::string_view digest);

}  // namespace berth
