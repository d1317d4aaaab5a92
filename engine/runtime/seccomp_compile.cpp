#include "engine/runtime/seccomp_compile.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/core.h>

#include "core/fd.h"
#include "core/fs.h"
#include "core/log.h"

namespace berth::runtime {
namespace {

struct FilterContext {
  scmp_filter_ctx context = nullptr;
  ~FilterContext() {
    if (context) seccomp_release(context);
  }
};

}  // namespace

Result<std::vector<BpfInstruction>> compile_seccomp(const SeccompSpec& spec) {
  FilterContext filter;
  filter.context = seccomp_init(spec.default_action);
  if (!filter.context) return unexpected(Error("seccomp_init: invalid default action", EINVAL));
  // The filter is loaded by us with seccomp(2), not by libseccomp; no_new_privs is the spec's business.
  if (int rc = seccomp_attr_set(filter.context, SCMP_FLTATR_CTL_NNP, 0); rc != 0)
    return sys_error("seccomp: clear the no_new_privs attribute", -rc);
  for (uint32_t arch : spec.architectures) {
    int rc = seccomp_arch_add(filter.context, arch);
    if (rc != 0 && rc != -EEXIST) return sys_error(fmt::format("seccomp_arch_add 0x{:x}", arch), -rc);
  }
  for (const auto& rule : spec.rules) {
    if (rule.action == spec.default_action) continue;
    int number = seccomp_syscall_resolve_name(rule.syscall.c_str());
    if (number == __NR_SCMP_ERROR) {
      log::debug("seccomp: skipping unknown syscall {}", rule.syscall);
      continue;
    }
    std::vector<scmp_arg_cmp> comparisons;
    comparisons.reserve(rule.conditions.size());
    for (const auto& condition : rule.conditions)
      comparisons.push_back(scmp_arg_cmp{condition.index, static_cast<scmp_compare>(condition.op), condition.value,
                                         condition.value_two});
    int rc = seccomp_rule_add_array(filter.context, rule.action, number, static_cast<unsigned>(comparisons.size()),
                                    comparisons.data());
    if (rc != 0) return sys_error(fmt::format("seccomp: add rule for {}", rule.syscall), -rc);
  }
  // libseccomp 2.5 exports only to an fd: a memfd keeps it in memory.
  UniqueFd memory(::memfd_create("berth-seccomp", MFD_CLOEXEC));
  if (!memory) return sys_error("memfd_create for the seccomp program");
  if (int rc = seccomp_export_bpf(filter.context, memory.get()); rc != 0)
    return sys_error("seccomp_export_bpf", -rc);
  off_t size = ::lseek(memory.get(), 0, SEEK_END);
  if (size < 0 || size % static_cast<off_t>(sizeof(BpfInstruction)) != 0)
    return unexpected(Error("seccomp: exported program has an odd size", EINVAL));
  std::vector<BpfInstruction> program(static_cast<size_t>(size) / sizeof(BpfInstruction));
  if (::pread(memory.get(), program.data(), static_cast<size_t>(size), 0) != size)
    return sys_error("read the seccomp program");
  if (program.size() > 0xffff) return unexpected(Error("seccomp program is too long", E2BIG));
  return program;
}

namespace {

// Every input that decides the program, as bytes: the cache's entries carry it and a hit must match it exactly, so
// the file name only has to spread entries (a 64-bit FNV-1a), not resist collisions. No cryptographic hash means no
// libcrypto in the process that starts containers (it would stay mapped in the long-lived supervisor).
std::string canonical_bytes(const SeccompSpec& spec) {
  std::string bytes;
  auto add = [&](uint64_t value) { bytes.append(reinterpret_cast<const char*>(&value), sizeof value); };
  const scmp_version* version = seccomp_version();
  add(version ? (uint64_t{version->major} << 32 | version->minor << 16 | version->micro) : 0);
  add(spec.default_action);
  add(spec.architectures.size());
  for (auto arch : spec.architectures) add(arch);
  add(spec.rules.size());
  for (const auto& rule : spec.rules) {
    add(rule.syscall.size());
    bytes += rule.syscall;
    add(rule.action);
    add(rule.conditions.size());
    for (const auto& condition : rule.conditions) {
      add(condition.index);
      add(static_cast<uint64_t>(condition.op));
      add(condition.value);
      add(condition.value_two);
    }
  }
  return bytes;
}

uint64_t fnv1a(std::string_view bytes) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace

std::string seccomp_cache_key(const SeccompSpec& spec) { return fmt::format("{:016x}", fnv1a(canonical_bytes(spec))); }

Result<std::vector<BpfInstruction>> compile_seccomp_cached(const SeccompSpec& spec, const std::string& cache_dir) {
  // An entry: [8-byte length of the canonical bytes][canonical bytes][program].
  std::string canonical = canonical_bytes(spec);
  std::string path = fmt::format("{}/{:016x}.bpf", cache_dir, fnv1a(canonical));
  if (auto cached = fs::read_file(path); cached && cached->size() > sizeof(uint64_t)) {
    uint64_t stored = 0;
    std::memcpy(&stored, cached->data(), sizeof stored);
    size_t header = sizeof stored + canonical.size();
    if (stored == canonical.size() && cached->size() > header &&
        cached->compare(sizeof stored, canonical.size(), canonical) == 0 &&
        (cached->size() - header) % sizeof(BpfInstruction) == 0) {
      std::vector<BpfInstruction> program((cached->size() - header) / sizeof(BpfInstruction));
      std::memcpy(program.data(), cached->data() + header, cached->size() - header);
      return program;
    }
  }
  auto program = BERTH_TRY(compile_seccomp(spec));
  // Written whole under a unique name, then renamed: a reader sees a complete entry or none.
  if (fs::make_directories(cache_dir, 0700)) {
    std::string entry;
    uint64_t length = canonical.size();
    entry.append(reinterpret_cast<const char*>(&length), sizeof length);
    entry += canonical;
    entry.append(reinterpret_cast<const char*>(program.data()), program.size() * sizeof(BpfInstruction));
    std::string temporary = fmt::format("{}.tmp-{}", path, ::getpid());
    UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd && ::write(fd.get(), entry.data(), entry.size()) == static_cast<ssize_t>(entry.size())) {
      fd.reset();
      if (::rename(temporary.c_str(), path.c_str()) != 0) ::unlink(temporary.c_str());
    } else {
      ::unlink(temporary.c_str());
    }
  }
  return program;
}

}  // namespace berth::runtime
