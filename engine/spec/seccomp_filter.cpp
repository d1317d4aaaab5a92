// From a Docker-format profile to one container's OCI seccomp section: keep the rules whose conditions hold for
// the container's bounding capabilities, the arch and the kernel, as moby/profiles seccomp_linux.go setupSeccomp.
#include <algorithm>
#include <array>
#include <charconv>

#include "engine/spec/seccomp.h"

namespace berth::spec::seccomp {
namespace {

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Docker's native arch names to libseccomp's. "mips3l64n32" is moby's own spelling of mipsel64n32, kept so
// profiles written for Docker match.
std::optional<std::string> scmp_arch_of(std::string_view arch) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kArches = {{
      {"amd64", "SCMP_ARCH_X86_64"},
      {"x86", "SCMP_ARCH_X86"},
      {"x32", "SCMP_ARCH_X32"},
      {"arm64", "SCMP_ARCH_AARCH64"},
      {"arm", "SCMP_ARCH_ARM"},
      {"s390x", "SCMP_ARCH_S390X"},
      {"s390", "SCMP_ARCH_S390"},
      {"ppc64le", "SCMP_ARCH_PPC64LE"},
      {"ppc64", "SCMP_ARCH_PPC64"},
      {"ppc", "SCMP_ARCH_PPC"},
      {"riscv64", "SCMP_ARCH_RISCV64"},
      {"loongarch64", "SCMP_ARCH_LOONGARCH64"},
      {"mips64", "SCMP_ARCH_MIPS64"},
      {"mips64n32", "SCMP_ARCH_MIPS64N32"},
      {"mipsel64", "SCMP_ARCH_MIPSEL64"},
      {"mipsel64n32", "SCMP_ARCH_MIPSEL64N32"},
      {"mips3l64n32", "SCMP_ARCH_MIPSEL64N32"},
      {"mipsel", "SCMP_ARCH_MIPSEL"},
  }};
  for (const auto& [native, scmp] : kArches)
    if (native == arch) return std::string(scmp);
  return std::nullopt;
}

bool known_action(std::string_view action) {
  static constexpr std::array<std::string_view, 9> kActions = {
      "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
      "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"};
  return std::find(kActions.begin(), kActions.end(), action) != kActions.end();
}

bool known_operator(std::string_view op) {
  static constexpr std::array<std::string_view, 7> kOperators = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
                                                                 "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                                                                 "SCMP_CMP_MASKED_EQ"};
  return std::find(kOperators.begin(), kOperators.end(), op) != kOperators.end();
}

// An unknown kernel ("") is taken as a current one: every minimum is met.
bool kernel_at_least(const FilterContext& context, const KernelVersion& minimum) {
  if (context.kernel_release.empty()) return true;
  auto running = parse_kernel_version(context.kernel_release);
  if (!running) return true;  // resolve_for_container rejects an unparsable release before we get here
  return running->major > minimum.major || (running->major == minimum.major && running->minor >= minimum.minor);
}

std::string effective_arch(const FilterContext& context) {
  return context.arch.empty() ? native_arch() : context.arch;
}

}  // namespace

std::optional<KernelVersion> parse_kernel_version(std::string_view release) {
  KernelVersion version;
  auto begin = release.data();
  auto end = release.data() + release.size();
  auto [after_major, major_error] = std::from_chars(begin, end, version.major);
  if (major_error != std::errc() || after_major == end || *after_major != '.') return std::nullopt;
  auto [after_minor, minor_error] = std::from_chars(after_major + 1, end, version.minor);
  if (minor_error != std::errc()) return std::nullopt;
  return version;
}

bool rule_applies(const ConditionalRule& rule, const FilterContext& context) {
  const std::string arch = effective_arch(context);
  if (const auto& excludes = rule.excludes) {
    if (contains(excludes->arches, arch)) return false;
    for (const auto& capability : excludes->caps)
      if (contains(context.bounding_capabilities, capability)) return false;
    if (excludes->min_kernel && kernel_at_least(context, *excludes->min_kernel)) return false;
  }
  if (const auto& includes = rule.includes) {
    if (!includes->arches.empty() && !contains(includes->arches, arch)) return false;
    for (const auto& capability : includes->caps)
      if (!contains(context.bounding_capabilities, capability)) return false;
    if (includes->min_kernel && !kernel_at_least(context, *includes->min_kernel)) return false;
  }
  return true;
}

Result<std::optional<OciSeccomp>> resolve_for_container(const DockerProfile& profile, const FilterContext& context) {
  // Docker's convention: a profile with neither a default action nor rules means "no seccomp".
  if (profile.default_action.empty() && profile.syscalls.empty()) return std::optional<OciSeccomp>();
  if (profile.default_action.empty())
    return unexpected(Error("seccomp profile: rules are given but no defaultAction"));
  if (!known_action(profile.default_action))
    return unexpected(Error("seccomp profile: unknown defaultAction \"" + profile.default_action + "\""));
  if (!profile.architectures.empty() && !profile.arch_map.empty())
    return unexpected(Error("seccomp profile: both 'architectures' and 'archMap' are specified, use either "
                            "'architectures' or 'archMap'"));
  if (!context.kernel_release.empty() && !parse_kernel_version(context.kernel_release))
    return unexpected(Error("seccomp: cannot read the kernel version from \"" + context.kernel_release + "\""));

  OciSeccomp result;
  result.default_action = profile.default_action;
  result.default_errno_ret = profile.default_errno_ret;
  result.flags = profile.flags;
  result.listener_path = profile.listener_path;
  result.listener_metadata = profile.listener_metadata;
  result.architectures = profile.architectures;
  // From the arch map only the native group goes in: the filter then also covers the native arch's 32-bit ABIs
  // (x86 and x32 on amd64), which would otherwise be a way around it.
  if (auto scmp_arch = scmp_arch_of(effective_arch(context))) {
    for (const auto& group : profile.arch_map) {
      if (group.architecture != *scmp_arch) continue;
      result.architectures.push_back(group.architecture);
      result.architectures.insert(result.architectures.end(), group.sub_architectures.begin(),
                                  group.sub_architectures.end());
      break;
    }
  }

  for (size_t i = 0; i < profile.syscalls.size(); ++i) {
    const auto& entry = profile.syscalls[i];
    const std::string where = "seccomp profile: syscalls[" + std::to_string(i) + "]: ";
    if (entry.rule.names.empty()) return unexpected(Error(where + "no syscall names"));
    if (!known_action(entry.rule.action))
      return unexpected(Error(where + "unknown action \"" + entry.rule.action + "\""));
    for (const auto& arg : entry.rule.args)
      if (!known_operator(arg.op)) return unexpected(Error(where + "unknown operator \"" + arg.op + "\""));
    if (rule_applies(entry, context)) result.syscalls.push_back(entry.rule);
  }
  return std::optional<OciSeccomp>(std::move(result));
}

}  // namespace berth::spec::seccomp
