#include "core/digest.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include <cstdio>
#include <fmt/core.h>
#include <type_traits>

#include "core/fd.h"

namespace berth {
namespace {

// libcrypto is opened on first use rather than linked: most berth processes never hash anything (the per-container
// supervisor above all), and a linked libcrypto costs every process its relocations (~0.4 MiB of private memory)
// and start-up time. The functions are OpenSSL's own, looked up once.
struct Crypto {
  EVP_MD_CTX* (*ctx_new)();
  void (*ctx_free)(EVP_MD_CTX*);
  const EVP_MD* (*sha256)();
  int (*init)(EVP_MD_CTX*, const EVP_MD*, ENGINE*);
  int (*update)(EVP_MD_CTX*, const void*, size_t);
  int (*final)(EVP_MD_CTX*, unsigned char*, unsigned int*);
};

std::mutex crypto_mutex;
void* crypto_library = nullptr;
Crypto crypto_functions{};
int live_hashers = 0;

const Crypto& crypto() {
  std::lock_guard guard(crypto_mutex);
  if (crypto_library) return crypto_functions;
  crypto_functions = [] {
    void* library = ::dlopen("libcrypto.so.3", RTLD_LAZY | RTLD_LOCAL);
    if (!library) {
      std::fprintf(stderr, "Error: loading OpenSSL's libcrypto.so.3: %s\n", ::dlerror());
      std::abort();
    }
    Crypto c{};
    auto bind = [library](auto& slot, const char* name) {
      void* symbol = ::dlsym(library, name);
      if (!symbol) {
        std::fprintf(stderr, "Error: libcrypto.so.3 has no %s\n", name);
        std::abort();
      }
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(symbol);
    };
    bind(c.ctx_new, "EVP_MD_CTX_new");
    bind(c.ctx_free, "EVP_MD_CTX_free");
    bind(c.sha256, "EVP_sha256");
    bind(c.init, "EVP_DigestInit_ex");
    bind(c.update, "EVP_DigestUpdate");
    bind(c.final, "EVP_DigestFinal_ex");
    crypto_library = library;
    return c;
  }();
  return crypto_functions;
}

}  // namespace

struct Sha256::State {
  EVP_MD_CTX* context = nullptr;
  ~State() {
    if (context) crypto().ctx_free(context);
    std::lock_guard guard(crypto_mutex);
    --live_hashers;
  }
};

void unload_crypto() {
  std::lock_guard guard(crypto_mutex);
  if (!crypto_library || live_hashers > 0) return;
  ::dlclose(crypto_library);
  crypto_library = nullptr;
}

Sha256::Sha256() : state_(std::make_unique<State>()) {
  {
    std::lock_guard guard(crypto_mutex);
    ++live_hashers;
  }
  state_->context = crypto().ctx_new();
  crypto().init(state_->context, crypto().sha256(), nullptr);
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t size) { crypto().update(state_->context, data, size); }

std::string Sha256::finish_hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  crypto().final(state_->context, digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

std::string sha256_hex(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.finish_hex();
}

std::string sha256_digest(std::string_view data) { return "sha256:" + sha256_hex(data); }

Result<std::string> sha256_file_hex(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return sys_error(fmt::format("open {}", path));
  Sha256 hash;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error(fmt::format("read {}", path));
    }
    if (n == 0) break;
    hash.update(buffer, static_cast<size_t>(n));
  }
  return hash.finish_hex();
}

bool is_sha256_digest(std::string_view digest) {
  if (digest.size() != 71 || digest.substr(0, 7) != "sha256:") return false;
  for (char c : digest.substr(7))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace berth
