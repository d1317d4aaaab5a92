#include "engine/runtime/seccomp_compile.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fmt/core.h>

#include "core/fd.h"
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

}  // namespace berth::runtime
