// The OCI runtime-spec builder: an image config plus `berth run` flags in, `config.json` text out. Pure (no
// syscalls): the engine gathers what needs the host (the passwd/group files of the rootfs, kernel release, CPU
// count, device list for --privileged) and passes it in. Defaults are Docker's; see
// /work/shared/reference/container-defaults.md and docs/ARCHITECTURE.md ("Spec builder").
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "engine/image/image_config.h"

namespace berth::spec {

// An OCI mount as it goes into config.json. type "bind" with options "rbind"/"bind", "ro", propagation; "tmpfs"
// with "size=...", "mode=...".
struct Mount {
  std::string destination, type, source;
  std::vector<std::string> options;
  bool operator==(const Mount&) const = default;
};

// One `--ulimit`: name as Docker spells it ("nofile", "nproc"); -1 means unlimited.
struct Ulimit {
  std::string name;
  int64_t soft = 0, hard = 0;
  bool operator==(const Ulimit&) const = default;
};

// The process identity after looking the user spec up in the image's /etc/passwd and /etc/group.
// additional_gids holds the primary gid first, then the supplementary groups, as Docker passes them.
struct ResolvedUser {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  std::string home;  // from passwd; empty when the user has no entry ("/" is used then)
  bool operator==(const ResolvedUser&) const = default;
};

// A device node the runtime creates in the container's /dev (linux.devices). Only used for --privileged, where
// the engine lists the host's devices, as Docker does.
struct Device {
  std::string path;  // "/dev/sda"
  char type = 'c';   // 'c', 'b', 'u', 'p'
  int64_t major = 0, minor = 0;
  uint32_t file_mode = 0666, uid = 0, gid = 0;
};

// `docker run` flags, already parsed and split. Empty/unset means "the image's or Docker's default".
struct RunOptions {
  std::vector<std::string> env;                         // "K=V" after --env-file and -e processing
  std::optional<std::vector<std::string>> entrypoint;   // --entrypoint; {} or {""} clears the image's
  std::vector<std::string> command;                     // arguments after the image name
  std::string working_dir, user, hostname, domainname;
  bool tty = false, read_only = false, privileged = false, init = false, no_new_privileges = false;
  bool open_stdin = false;  // -i: the engine wires stdin; nothing in config.json depends on it
  uint32_t console_height = 0, console_width = 0;       // process.consoleSize with a tty, when known
  std::optional<int64_t> memory_bytes, memory_swap_bytes, nano_cpus, pids_limit, cpu_shares, shm_size_bytes;
  std::string network_mode = "none";    // "none" | "host" | "private" (own netns) | "ns:/path" (join that netns)
  std::vector<std::string> cap_add, cap_drop;           // "NET_ADMIN", "CAP_NET_ADMIN", "ALL"
  std::string seccomp = "default";      // "default" | "unconfined" | a Docker-format profile's JSON text
  std::vector<Ulimit> ulimits;
  std::vector<std::string> sysctls;     // "net.ipv4.ip_forward=1"
  std::map<std::string, std::string> labels;  // kept by the engine; not part of config.json (as Docker)
  std::vector<Mount> extra_mounts;      // volumes, binds, tmpfs decided elsewhere; later wins per destination
  std::vector<std::string> masked_paths_extra, readonly_paths_extra;
};

// What the engine knows about the host and the container's files.
struct SpecInputs {
  std::string rootfs;  // absolute path of the mounted overlay
  std::string hostname_file, hosts_file, resolv_conf_file;  // bound at /etc/hostname, /etc/hosts, /etc/resolv.conf
  std::string cgroups_path;                                 // "berth/<id>"
  std::string init_binary;           // host path of berth-init, bound read-only at /sbin/berth-init with --init
  std::string container_id;          // its first 12 characters are the default hostname
  std::string network_namespace_path;  // with network_mode "private": a netns the engine made ("" = runtime makes one)
  int cpu_count = 1;                 // CPUs for the thermal_throttle masked paths and the --cpus range check
  bool cgroup_v2 = false;            // recorded for the runtime; the spec's resources are the same on v1 and v2
  std::string kernel_release;        // uname -r, for seccomp minKernel rules; "" = a current kernel
  std::string arch;                  // Docker's arch name ("amd64", "arm64"); "" = the arch berth was built for
  // berth's own RLIMIT_NOFILE hard limit (getrlimit; -1 = unlimited). When known, containers get Docker's
  // observable 1024/524288, capped at it; when not, they inherit berth's limits, as Docker's containers inherit
  // the daemon's.
  std::optional<int64_t> nofile_hard_limit;
  std::vector<Device> devices;       // device nodes to create (the host's, for --privileged)
  std::map<std::string, std::string> annotations;
};

// config.json text for one container.
Result<std::string> build_runtime_spec(const image::ImageConfig& image, const RunOptions& options,
                                       const ResolvedUser& user, const SpecInputs& inputs);

// process.args as Docker computes them: --entrypoint replaces the image's ENTRYPOINT and drops its CMD; a command
// replaces CMD; an entrypoint of [""] means none; with --init, "/sbin/berth-init --" goes first.
// Error "no command specified" when nothing is left.
Result<std::vector<std::string>> resolve_process_args(const image::ImageConfig& image, const RunOptions& options);

// Looks up "name", "uid", "uid:gid", "name:group", "uid:group" ("" = root) in the image's passwd and group file
// contents (the engine passes `--user`, else the image's USER, and "" for a missing file), with runc's rules: numeric ids need no entry; supplementary groups come from /etc/group membership,
// only when no group is given. A missing name fails as Docker does: "unable to find user app: no matching
// entries in passwd file". Malformed lines are skipped.
Result<ResolvedUser> resolve_user(std::string_view user_spec, std::string_view passwd_content,
                                  std::string_view group_content);

// Parses a `docker run --env-file` file: "K=V" lines (value kept verbatim), "# comments", blank lines, and bare
// "K" lines taken from `lookup` (dropped when it returns nullopt). Errors for names with whitespace, a missing
// name, or invalid UTF-8.
Result<std::vector<std::string>> parse_env_file(
    std::string_view content, const std::function<std::optional<std::string>(const std::string&)>& lookup);

// "nofile=1024:2048", "nproc=512" (hard = soft), "core=-1" (unlimited), as Docker's --ulimit.
Result<Ulimit> parse_ulimit(std::string_view text);

// The process environment, as Docker builds it: PATH (Docker's default), HOSTNAME, TERM=xterm with a tty; over
// them the user's variables and then the image's the user did not set, each replacing a default of the same
// name in place (so user beats image beats default); a bare "K" from the user removes K. Repeated names keep
// the last value. HOME is added last from `home` ("/" when empty) unless already set, as runc does.
std::vector<std::string> merge_env(const std::vector<std::string>& image_env, const std::vector<std::string>& user_env,
                                   std::string_view hostname, bool tty, std::string_view home = "/");

// The capability set Docker gives the container: its 14 defaults adjusted by --cap-add/--cap-drop (names with or
// without "CAP_", any case, "ALL"), or every capability up to CAP_CHECKPOINT_RESTORE for --privileged.
// "CAP_"-prefixed, in a stable order. Error for an unknown name.
Result<std::vector<std::string>> effective_capabilities(const std::vector<std::string>& cap_add,
                                                        const std::vector<std::string>& cap_drop, bool privileged);

// Docker's default capability set and every capability berth knows (numbers 0..40), "CAP_"-prefixed.
const std::vector<std::string>& default_capabilities();
const std::vector<std::string>& all_capabilities();

}  // namespace berth::spec
