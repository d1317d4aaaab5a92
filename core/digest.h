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

// Unloads libcrypto if no hash is in progress (it is opened again on the next use). For long-lived processes that
// hashed something while starting, such as the supervisor: libcrypto's relocated data is ~0.4 MiB of private memory.
void unload_crypto();

// True for "sha256:" followed by exactly 64 lowercase hex digits.
bool is_sha256_digest(std::string_view digest);

}  // namespace berth
