// The subset of an OCI runtime-spec config.json (1.x) that berth's runtime executes, as plain data. Parsing is pure
// (no syscalls): JSON text in, RuntimeSpec out, with a clear error for anything we do not support. Unknown fields are
// ignored, as the spec asks.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace berth::runtime {

enum class NamespaceKind { pid, network, mount, ipc, uts, user, cgroup, time };
const char* namespace_name(NamespaceKind kind);
int namespace_clone_flag(NamespaceKind kind);  // CLONE_NEWPID, ...

struct NamespaceSpec {
  NamespaceKind kind = NamespaceKind::pid;
  std::string path;  // empty: create a new one; otherwise join this one (setns)
};

// Mount options translated for the kernel. `flags`/`clear_flags` are MS_* bits for the mount itself; bind mounts get
// the same meaning through mount_setattr(2) (see mounts code). Propagation is applied as a separate step, as the
// kernel wants.
struct MountOptions {
  unsigned long flags = 0;         // MS_RDONLY, MS_NOSUID, ...
  unsigned long clear_flags = 0;   // "rw", "suid", ...: bits explicitly cleared
  unsigned long propagation = 0;   // MS_PRIVATE|MS_REC, MS_SLAVE, ... (0: leave as is)
  uint64_t recursive_set = 0;      // MOUNT_ATTR_* from "rro", "rnosuid", ... (applied with AT_RECURSIVE)
  uint64_t recursive_clear = 0;    // MOUNT_ATTR_* from "rrw", "rsuid", ...
  bool bind = false;
  bool recursive_bind = false;     // "rbind"
  std::string data;                // everything the kernel's file system takes as data: "mode=755,size=65536k"
};

// Pure: OCI option strings to MountOptions. Unknown words are file-system data; options berth cannot honour
// ("idmap", "ridmap") are an error.
Result<MountOptions> parse_mount_options(const std::vector<std::string>& options);

struct MountSpec {
  std::string destination;  // absolute, inside the container
  std::string type;         // "proc", "tmpfs", "bind", ... ("" with a bind option = bind)
  std::string source;       // for binds: a host path, already made absolute against the bundle
  MountOptions options;
};

struct RlimitSpec {
  int resource = 0;  // RLIMIT_*
  uint64_t soft = 0;
  uint64_t hard = 0;
};

// Bit masks (bit N = capability N).
struct CapabilitySets {
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t inheritable = 0;
  uint64_t permitted = 0;
  uint64_t ambient = 0;
};

struct UserSpec {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  std::optional<mode_t> umask;
};

struct ProcessSpec {
  bool terminal = false;
  unsigned console_height = 0, console_width = 0;
  UserSpec user;
  std::vector<std::string> args;
  std::vector<std::string> env;  // "KEY=value"
  std::string cwd = "/";
  CapabilitySets capabilities;
  std::vector<RlimitSpec> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::vector<std::string> ignored;  // fields we accept but cannot honour here (apparmor, selinux), for a debug log
};

struct DeviceSpec {
  std::string path;  // inside the container
  char type = 'c';   // 'c', 'b', 'p' ('u' = 'c')
  int64_t major = 0, minor = 0;
  mode_t file_mode = 0666;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct DeviceRule {
  bool allow = false;
  char type = 'a';        // 'a', 'c', 'b'
  int64_t major = -1;     // -1: any
  int64_t minor = -1;
  std::string access;     // "rwm" subset
};

struct ResourcesSpec {
  std::optional<int64_t> memory_limit;
  std::optional<int64_t> memory_swap;
  std::optional<int64_t> cpu_quota;
  std::optional<uint64_t> cpu_period;
  std::optional<uint64_t> cpu_shares;
  std::optional<std::string> cpuset_cpus;
  std::optional<int64_t> pids_limit;
  std::vector<DeviceRule> devices;
  std::vector<std::string> ignored;  // set fields the cgroup module cannot apply yet
};

// Seccomp, translated but not compiled: numbers libseccomp understands (SCMP_ACT_*, SCMP_ARCH_*, SCMP_CMP_*).
struct SeccompCondition {
  unsigned index = 0;
  int op = 0;  // enum scmp_compare
  uint64_t value = 0;
  uint64_t value_two = 0;
};
struct SeccompRule {
  std::string syscall;
  uint32_t action = 0;
  std::vector<SeccompCondition> conditions;  // all must hold (one libseccomp rule)
};
struct SeccompSpec {
  uint32_t default_action = 0;
  std::vector<uint32_t> architectures;
  std::vector<SeccompRule> rules;
  unsigned filter_flags = 0;  // SECCOMP_FILTER_FLAG_*
};

struct RuntimeSpec {
  std::string oci_version;
  std::string root_path;  // absolute after resolve_against_bundle
  bool root_readonly = false;
  ProcessSpec process;
  std::string hostname;
  std::string domainname;
  std::vector<MountSpec> mounts;
  std::vector<NamespaceSpec> namespaces;
  std::vector<DeviceSpec> devices;
  std::string cgroups_path;
  ResourcesSpec resources;
  std::vector<std::pair<std::string, std::string>> sysctls;
  std::optional<SeccompSpec> seccomp;
  unsigned long rootfs_propagation = 0;  // MS_* or 0 (default: rslave)
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::optional<unsigned long> personality;
  std::map<std::string, std::string> annotations;

  const NamespaceSpec* find_namespace(NamespaceKind kind) const;
  bool has_new_namespace(NamespaceKind kind) const;
};

// Parses a whole config.json. Relative root and bind-mount sources are made absolute against `bundle`.
Result<RuntimeSpec> parse_spec(std::string_view json_text, const std::string& bundle);
// Parses an OCI "process" object (for exec). Fields it lacks are taken from `defaults`.
Result<ProcessSpec> parse_process(std::string_view json_text, const ProcessSpec& defaults);

// Pure checks of the namespace list: known types, no duplicates, nothing we cannot do (user, a time namespace with
// offsets).
Result<void> validate_namespaces(const std::vector<NamespaceSpec>& namespaces);

// Seccomp's pure part: OCI names to libseccomp numbers. Several conditions on the same argument become separate
// rules (libseccomp refuses them in one rule), as runc does.
Result<uint32_t> seccomp_action_from_name(std::string_view name, std::optional<uint32_t> errno_ret);
Result<uint32_t> seccomp_arch_from_name(std::string_view name);
Result<int> seccomp_operator_from_name(std::string_view name);

}  // namespace berth::runtime
