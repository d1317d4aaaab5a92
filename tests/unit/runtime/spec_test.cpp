// The runtime's pure parts: config.json subset, mount options, namespaces, names, seccomp translation, state.
#include <catch2/catch.hpp>

#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "engine/runtime/container_cgroup.h"
#include "engine/runtime/names.h"
#include "engine/runtime/oci_spec.h"
#include "engine/runtime/runtime.h"
#include "engine/runtime/seccomp_compile.h"
#include "engine/runtime/state_store.h"

using namespace berth::runtime;

namespace {

std::string minimal_config(const std::string& extra = "") {
  return R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"})" + extra +
         "}";
}

}  // namespace

TEST_CASE("mount option strings become flags and file-system data", "[runtime][spec]") {
  auto parsed = parse_mount_options({"ro", "nosuid", "nodev", "strictatime", "mode=755", "size=65536k"});
  REQUIRE(parsed);
  CHECK(parsed->flags == (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_STRICTATIME));
  CHECK(parsed->data == "mode=755,size=65536k");
  CHECK_FALSE(parsed->bind);

  auto bind = parse_mount_options({"rbind", "rprivate", "rw", "noexec"});
  REQUIRE(bind);
  CHECK(bind->bind);
  CHECK(bind->recursive_bind);
  CHECK(bind->propagation == (MS_PRIVATE | MS_REC));
  CHECK(bind->flags == MS_NOEXEC);
  CHECK(bind->clear_flags == MS_RDONLY);
  CHECK(bind->data.empty());

  SECTION("a later option overrides an earlier one") {
    auto overridden = parse_mount_options({"ro", "rw", "exec", "noexec"});
    REQUIRE(overridden);
    CHECK((overridden->flags & MS_RDONLY) == 0);
    CHECK((overridden->clear_flags & MS_RDONLY) != 0);
    CHECK((overridden->flags & MS_NOEXEC) != 0);
  }
  SECTION("recursive attributes") {
    auto recursive = parse_mount_options({"bind", "rro", "rnosuid", "rnoatime"});
    REQUIRE(recursive);
    CHECK(recursive->recursive_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME));
    CHECK((recursive->recursive_clear & MOUNT_ATTR__ATIME) == MOUNT_ATTR__ATIME);
  }
  SECTION("options berth cannot honour are an error, userspace ones are dropped") {
    CHECK_FALSE(parse_mount_options({"idmap"}));
    CHECK_FALSE(parse_mount_options({"tmpcopyup"}));
    auto userspace = parse_mount_options({"X-mount.mkdir", "defaults"});
    REQUIRE(userspace);
    CHECK(userspace->data.empty());
    CHECK(userspace->flags == 0);
  }
}

TEST_CASE("the namespace list is validated", "[runtime][spec]") {
  CHECK(validate_namespaces({{NamespaceKind::pid, ""}, {NamespaceKind::network, "/run/netns/x"}}));
  CHECK_FALSE(validate_namespaces({{NamespaceKind::pid, ""}, {NamespaceKind::pid, ""}}));
  CHECK_FALSE(validate_namespaces({{NamespaceKind::user, ""}}));
  CHECK_FALSE(validate_namespaces({{NamespaceKind::network, "relative/path"}}));

  auto unknown = parse_spec(minimal_config(R"(, "linux": {"namespaces": [{"type": "pidx"}]})"), "/b");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message().find("pidx") != std::string::npos);
  CHECK(namespace_clone_flag(NamespaceKind::time) == CLONE_NEWTIME);
}

TEST_CASE("a config.json is parsed into the runtime's model", "[runtime][spec]") {
  auto spec = parse_spec(R"({
    "ociVersion": "1.1.0",
    "root": {"path": "rootfs", "readonly": true},
    "process": {"terminal": true, "consoleSize": {"height": 24, "width": 80},
                "user": {"uid": 1000, "gid": 100, "additionalGids": [5, 6], "umask": 18},
                "args": ["sh", "-c", "true"], "env": ["PATH=/bin"], "cwd": "/work",
                "capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_FUTURE_THING"], "effective": ["CAP_KILL"]},
                "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512}],
                "noNewPrivileges": true, "oomScoreAdj": 100, "apparmorProfile": "docker-default"},
    "hostname": "box",
    "mounts": [{"destination": "/data", "type": "bind", "source": "volumes/data", "options": ["rbind", "ro"]},
               {"destination": "/proc", "type": "proc", "source": "proc"}],
    "linux": {"namespaces": [{"type": "pid"}, {"type": "uts"}, {"type": "network", "path": "/run/netns/n1"}],
              "cgroupsPath": "/berth/abc",
              "resources": {"memory": {"limit": 1048576, "swappiness": 0}, "pids": {"limit": 10},
                            "cpu": {"quota": 50000, "period": 100000, "cpus": "0-1"},
                            "devices": [{"allow": false, "access": "rwm"}]},
              "sysctl": {"net.ipv4.ip_forward": "1"},
              "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"],
              "rootfsPropagation": "rslave"},
    "annotations": {"org.example": "yes"},
    "unknownField": {"ignored": true}
  })", "/bundles/b1");
  INFO((spec ? std::string() : spec.error().message()));
  REQUIRE(spec);
  CHECK(spec->root_path == "/bundles/b1/rootfs");
  CHECK(spec->root_readonly);
  CHECK(spec->process.terminal);
  CHECK(spec->process.console_width == 80);
  CHECK(spec->process.user.uid == 1000);
  CHECK(spec->process.user.additional_gids == std::vector<gid_t>{5, 6});
  CHECK(spec->process.user.umask == mode_t{18});
  CHECK(spec->process.cwd == "/work");
  CHECK(spec->process.capabilities.bounding == ((1ull << 0) | (1ull << 5)));  // the unknown name is dropped
  CHECK(spec->process.capabilities.effective == (1ull << 5));
  REQUIRE(spec->process.rlimits.size() == 1);
  CHECK(spec->process.rlimits[0].resource == RLIMIT_NOFILE);
  CHECK(spec->process.rlimits[0].soft == 512);
  CHECK(spec->process.no_new_privileges);
  CHECK(spec->process.oom_score_adj == 100);
  CHECK(spec->process.ignored == std::vector<std::string>{"apparmorProfile"});
  REQUIRE(spec->mounts.size() == 2);
  CHECK(spec->mounts[0].source == "/bundles/b1/volumes/data");
  CHECK(spec->mounts[0].options.bind);
  CHECK(spec->mounts[0].options.flags == MS_RDONLY);
  CHECK(spec->has_new_namespace(NamespaceKind::pid));
  CHECK_FALSE(spec->has_new_namespace(NamespaceKind::network));
  CHECK(spec->find_namespace(NamespaceKind::network)->path == "/run/netns/n1");
  CHECK(spec->find_namespace(NamespaceKind::mount) == nullptr);
  CHECK(spec->resources.memory_limit == 1048576);
  CHECK(spec->resources.pids_limit == 10);
  CHECK(spec->resources.cpuset_cpus == std::string("0-1"));
  CHECK(spec->resources.ignored == std::vector<std::string>{"memory.swappiness"});
  REQUIRE(spec->resources.devices.size() == 1);
  CHECK(spec->resources.devices[0].type == 'a');
  CHECK(spec->sysctls == std::vector<std::pair<std::string, std::string>>{{"net.ipv4.ip_forward", "1"}});
  CHECK(spec->rootfs_propagation == (MS_SLAVE | MS_REC));
  CHECK(spec->annotations.at("org.example") == "yes");
}

TEST_CASE("unsupported or invalid specs are clear errors", "[runtime][spec]") {
  auto error_of = [](const std::string& json) {
    auto spec = parse_spec(json, "/b");
    REQUIRE_FALSE(spec);
    return spec.error().message();
  };
  CHECK(error_of("{").find("not valid JSON") != std::string::npos);
  CHECK(error_of(R"({"ociVersion": "2.0.0", "root": {"path": "r"}, "process": {"args": ["x"]}})")
            .find("ociVersion") != std::string::npos);
  CHECK(error_of(R"({"ociVersion": "1.0.0", "root": {"path": "r"}, "process": {"args": []}})")
            .find("process.args") != std::string::npos);
  CHECK(error_of(minimal_config(R"(, "hooks": {"prestart": [{"path": "/bin/true"}]})")).find("hooks") !=
        std::string::npos);
  CHECK(error_of(minimal_config(R"(, "linux": {"uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]})"))
            .find("user namespaces") != std::string::npos);
  CHECK(error_of(minimal_config(R"(, "hostname": "x")")).find("uts namespace") != std::string::npos);
  CHECK(error_of(minimal_config(R"(, "mounts": [{"destination": "relative", "type": "tmpfs"}])"))
            .find("absolute") != std::string::npos);
  CHECK(error_of(minimal_config(R"(, "linux": {"seccomp": {"defaultAction": "SCMP_ACT_NOTIFY"}})"))
            .find("SCMP_ACT_NOTIFY") != std::string::npos);
  CHECK(error_of(R"({"ociVersion": "1.0.0", "root": {"path": "r"}, "process": {"args": ["x"], "cwd": "rel"}})")
            .find("cwd") != std::string::npos);
  CHECK(error_of(R"({"ociVersion": "1.0.0", "root": {"path": 5}, "process": {"args": ["x"]}})").find("root.path") !=
        std::string::npos);
}

TEST_CASE("an exec's process object inherits what it does not say", "[runtime][spec]") {
  ProcessSpec defaults;
  defaults.env = {"PATH=/bin"};
  defaults.capabilities.effective = 0xff;
  defaults.user.uid = 7;
  auto process = parse_process(R"({"args": ["ls"], "cwd": "/tmp"})", defaults);
  REQUIRE(process);
  CHECK(process->args == std::vector<std::string>{"ls"});
  CHECK(process->cwd == "/tmp");
  CHECK(process->env == defaults.env);
  CHECK(process->capabilities.effective == 0xff);
  CHECK(process->user.uid == 7);
  auto user = parse_process(R"({"args": ["id"], "user": {"uid": 1000}})", defaults);
  REQUIRE(user);
  CHECK(user->user.uid == 1000);
  CHECK_FALSE(parse_process(R"({"cwd": "/"})", ProcessSpec{}));
}

TEST_CASE("capability, signal and rlimit names", "[runtime][names]") {
  CHECK(capability_from_name("CAP_CHOWN") == 0);
  CHECK(capability_from_name("CAP_SYS_ADMIN") == 21);
  CHECK(capability_from_name("sys_admin") == 21);
  CHECK(capability_from_name("CAP_AUDIT_WRITE") == 29);
  CHECK(capability_from_name("CAP_CHECKPOINT_RESTORE") == 40);
  CHECK_FALSE(capability_from_name("CAP_NOPE"));
  CHECK(last_known_capability() == 40);

  CHECK(signal_from_name("SIGTERM") == SIGTERM);
  CHECK(signal_from_name("TERM") == SIGTERM);
  CHECK(signal_from_name("kill") == SIGKILL);
  CHECK(signal_from_name("9") == SIGKILL);
  CHECK(signal_from_name("SIGRTMIN+3") == SIGRTMIN + 3);
  CHECK(signal_from_name("RTMAX-1") == SIGRTMAX - 1);
  CHECK_FALSE(signal_from_name("0"));
  CHECK_FALSE(signal_from_name("999"));
  CHECK_FALSE(signal_from_name("SIGNOPE"));
  CHECK_FALSE(signal_from_name("RTMIN+99"));
  CHECK_FALSE(signal_from_name(""));

  CHECK(rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE);
  CHECK(rlimit_from_name("RLIMIT_NPROC") == RLIMIT_NPROC);
  CHECK_FALSE(rlimit_from_name("RLIMIT_NOPE"));
}

TEST_CASE("Docker's 14 default capabilities make the mask of CapEff", "[runtime][names]") {
  const char* docker[] = {"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",           "CAP_MKNOD",
                          "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID", "CAP_SETFCAP",          "CAP_SETPCAP",
                          "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
  uint64_t mask = 0;
  for (auto* name : docker) mask |= uint64_t{1} << *capability_from_name(name);
  CHECK(mask == 0xa80425fbull);
}

TEST_CASE("seccomp sections translate to libseccomp's numbers", "[runtime][seccomp]") {
  CHECK(seccomp_action_from_name("SCMP_ACT_ERRNO", std::nullopt).value_or(0) == SCMP_ACT_ERRNO(EPERM));
  CHECK(seccomp_action_from_name("SCMP_ACT_ERRNO", 38u).value_or(0) == SCMP_ACT_ERRNO(38));
  CHECK(seccomp_action_from_name("SCMP_ACT_ALLOW", std::nullopt).value_or(0) == SCMP_ACT_ALLOW);
  CHECK(seccomp_action_from_name("SCMP_ACT_KILL_PROCESS", std::nullopt).value_or(0) == SCMP_ACT_KILL_PROCESS);
  CHECK(seccomp_action_from_name("SCMP_ACT_LOG", std::nullopt).value_or(0) == SCMP_ACT_LOG);
  CHECK_FALSE(seccomp_action_from_name("SCMP_ACT_WHATEVER", std::nullopt));
  CHECK(seccomp_arch_from_name("SCMP_ARCH_X86_64").value_or(0) == SCMP_ARCH_X86_64);
  CHECK_FALSE(seccomp_arch_from_name("SCMP_ARCH_PDP11"));
  CHECK(seccomp_operator_from_name("SCMP_CMP_MASKED_EQ").value_or(0) == SCMP_CMP_MASKED_EQ);

  auto spec = parse_spec(minimal_config(R"(, "linux": {"seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
        {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
         "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 9, "op": "SCMP_CMP_EQ"}]}
      ]}})"),
                         "/b");
  INFO((spec ? std::string() : spec.error().message()));
  REQUIRE(spec);
  REQUIRE(spec->seccomp);
  const auto& seccomp = *spec->seccomp;
  CHECK(seccomp.default_action == SCMP_ACT_ERRNO(38));
  CHECK(seccomp.architectures == std::vector<uint32_t>{SCMP_ARCH_X86_64, SCMP_ARCH_X86});
  CHECK(seccomp.filter_flags == 2u);
  REQUIRE(seccomp.rules.size() == 6);
  CHECK(seccomp.rules[0].syscall == "read");
  CHECK(seccomp.rules[1].syscall == "write");
  CHECK(seccomp.rules[2].conditions.size() == 1);
  CHECK(seccomp.rules[2].conditions[0].op == SCMP_CMP_MASKED_EQ);
  CHECK(seccomp.rules[2].conditions[0].value == 2114060288u);
  // Two conditions on the same argument: two rules (OR), as libseccomp cannot AND them.
  CHECK(seccomp.rules[3].syscall == "personality");
  CHECK(seccomp.rules[4].syscall == "personality");
  CHECK(seccomp.rules[3].conditions.size() == 1);
  CHECK(seccomp.rules[4].conditions[0].value == 8);
  // Conditions on different arguments stay together (AND).
  CHECK(seccomp.rules[5].syscall == "socket");
  CHECK(seccomp.rules[5].action == SCMP_ACT_ERRNO(22));
  CHECK(seccomp.rules[5].conditions.size() == 2);
}

TEST_CASE("cgroup paths and resources for the cgroup module", "[runtime][cgroup]") {
  CHECK(cgroup_path_for("", "abc").value_or("") == std::string("berth/abc"));
  CHECK(cgroup_path_for("/docker/abc", "abc").value_or("") == std::string("docker/abc"));
  CHECK(cgroup_path_for("mine/abc/", "abc").value_or("") == std::string("berth/mine/abc"));
  CHECK(cgroup_path_for("system.slice:docker:abc", "abc").value_or("") == std::string("system.slice/docker-abc.scope"));
  CHECK_FALSE(cgroup_path_for("/a/../b", "abc"));
  CHECK_FALSE(cgroup_path_for("/", "abc"));

  ResourcesSpec resources;
  resources.memory_limit = 1 << 20;
  resources.cpu_quota = 50000;
  resources.cpu_period = 100000;
  resources.pids_limit = 10;
  auto limits = limits_from_resources(resources);
  CHECK(limits.memory_bytes == (1 << 20));
  CHECK(limits.memory_swap_bytes == -1);  // the spec said nothing about swap: leave it unlimited, as runc does
  CHECK(limits.cpu_quota_us == 50000);
  CHECK(limits.pids_max == 10);

  CHECK(device_rules_from_resources(resources).empty());
  resources.devices.push_back(DeviceRule{false, 'a', -1, -1, "rwm"});
  auto rules = device_rules_from_resources(resources);
  REQUIRE(rules.size() > 1);
  CHECK_FALSE(rules[0].allow);
  // runc's always-allowed devices follow, so the default nodes can be created (mknod) and used.
  bool mknod_allowed = false, full_allowed = false;
  for (auto& rule : rules) {
    mknod_allowed |= rule.allow && rule.type == 'c' && rule.major == -1 && rule.access == "m";
    full_allowed |= rule.allow && rule.type == 'c' && rule.major == 1 && rule.minor == 7;
  }
  CHECK(mknod_allowed);
  CHECK(full_allowed);
}

TEST_CASE("container ids and state records", "[runtime][state]") {
  CHECK(validate_container_id("web-1_a.b+c"));
  CHECK_FALSE(validate_container_id(""));
  CHECK_FALSE(validate_container_id("../x"));
  CHECK_FALSE(validate_container_id("a/b"));
  CHECK_FALSE(validate_container_id("-x"));

  StateRecord record;
  record.id = "c1";
  record.status = Status::created;
  record.init = {1234, 5678};
  record.bundle = "/b";
  record.cgroup_path = "berth/c1";
  record.annotations = {{"k", "v"}};
  auto round_trip = state_record_from_json(state_record_to_json(record));
  REQUIRE(round_trip);
  CHECK(round_trip->init == record.init);
  CHECK(round_trip->status == Status::created);
  CHECK(round_trip->cgroup_path == "berth/c1");
  CHECK(round_trip->annotations == record.annotations);
  CHECK_FALSE(state_record_from_json("{\"status\": \"weird\"}"));
  CHECK_FALSE(state_record_from_json("{trunc"));

  auto document = oci_state_json(record, Status::created);
  CHECK(document.find("\"ociVersion\": \"1.2.0\"") != std::string::npos);
  CHECK(document.find("\"status\": \"created\"") != std::string::npos);
  CHECK(document.find("\"pid\": 1234") != std::string::npos);
  CHECK(oci_state_json(record, Status::stopped).find("\"pid\"") == std::string::npos);
  // A pid that is not ours (start time 5678 will not match) is stopped.
  CHECK(effective_status(record) == Status::stopped);
}

TEST_CASE("the seccomp cache key follows everything that shapes the program", "[runtime][seccomp]") {
  SeccompSpec base;
  base.default_action = SCMP_ACT_ERRNO(EPERM);
  base.architectures = {SCMP_ARCH_X86_64};
  base.rules = {SeccompRule{"mount", SCMP_ACT_ALLOW, {}}};
  auto key = seccomp_cache_key(base);
  CHECK(key.size() == 16);  // a 64-bit FNV-1a in hex: entries verify their full inputs on a hit
  CHECK(seccomp_cache_key(base) == key);
  auto changed = base;
  changed.rules[0].syscall = "umount2";
  CHECK(seccomp_cache_key(changed) != key);
  changed = base;
  changed.rules[0].conditions.push_back(SeccompCondition{0, SCMP_CMP_EQ, 1, 0});
  CHECK(seccomp_cache_key(changed) != key);
  changed = base;
  changed.architectures.push_back(SCMP_ARCH_X86);
  CHECK(seccomp_cache_key(changed) != key);
  changed = base;
  changed.default_action = SCMP_ACT_ERRNO(ENOSYS);
  CHECK(seccomp_cache_key(changed) != key);
}
