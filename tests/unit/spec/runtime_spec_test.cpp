// build_runtime_spec end to end: the generated config.json parses, uses the OCI field names, and carries Docker's
// defaults and the run options' effects.
#include <catch2/catch.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/spec/parts.h"
#include "engine/spec/spec.h"

using berth::spec::Mount;
using berth::spec::RunOptions;
using berth::spec::SpecInputs;
using Json = nlohmann::json;
using Strings = std::vector<std::string>;

namespace {

berth::image::ImageConfig busybox_image() {
  berth::image::ImageConfig image;
  image.cmd = Strings{"sh"};
  image.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  return image;
}

SpecInputs sample_inputs() {
  SpecInputs inputs;
  inputs.rootfs = "/var/lib/berth/containers/abc/rootfs";
  inputs.hostname_file = "/var/lib/berth/containers/abc/hostname";
  inputs.hosts_file = "/var/lib/berth/containers/abc/hosts";
  inputs.resolv_conf_file = "/var/lib/berth/containers/abc/resolv.conf";
  inputs.cgroups_path = "berth/abc";
  inputs.init_binary = "/usr/libexec/berth/berth-init";
  inputs.container_id = "0123456789abcdef0123456789abcdef";
  inputs.cpu_count = 2;
  inputs.kernel_release = "6.1.0-18-amd64";
  inputs.arch = "amd64";
  return inputs;
}

berth::spec::ResolvedUser root_user() { return {0, 0, {0}, "/root"}; }

Json build(const RunOptions& options, const SpecInputs& inputs = sample_inputs(),
           const berth::spec::ResolvedUser& user = root_user(),
           const berth::image::ImageConfig& image = busybox_image()) {
  auto text = berth::spec::build_runtime_spec(image, options, user, inputs);
  if (!text) FAIL(text.error().message());
  return Json::parse(*text);
}

const Json* mount_at(const Json& spec, const std::string& destination) {
  for (const auto& mount : spec["mounts"])
    if (mount["destination"] == destination) return &mount;
  return nullptr;
}

bool contains(const Json& array, const Json& value) {
  return std::find(array.begin(), array.end(), value) != array.end();
}

bool seccomp_allows_outright(const Json& spec, const std::string& name) {
  for (const auto& rule : spec["linux"]["seccomp"]["syscalls"])
    if (contains(rule["names"], name) && rule["action"] == "SCMP_ACT_ALLOW" && !rule.contains("args")) return true;
  return false;
}

}  // namespace

TEST_CASE("the spec parses and has the OCI top-level and process fields") {
  Json spec = build({});
  CHECK(spec["ociVersion"].get<std::string>().rfind("1.", 0) == 0);
  for (const char* key : {"process", "root", "hostname", "mounts", "linux"}) CHECK(spec.contains(key));
  const Json& process = spec["process"];
  CHECK(process["terminal"] == false);
  CHECK_FALSE(process.contains("consoleSize"));
  CHECK(process["user"] == Json{{"uid", 0}, {"gid", 0}, {"additionalGids", {0}}});
  CHECK(process["args"] == Json{"sh"});
  CHECK(process["cwd"] == "/");
  CHECK(process["noNewPrivileges"] == false);
  CHECK(process["oomScoreAdj"] == 0);
  CHECK(spec["root"] == Json{{"path", "/var/lib/berth/containers/abc/rootfs"}, {"readonly", false}});
  CHECK(spec["hostname"] == "0123456789ab");  // Docker: the short id
  CHECK_FALSE(spec.contains("domainname"));
  CHECK(spec["linux"]["cgroupsPath"] == "berth/abc");
  CHECK(contains(process["env"], "HOSTNAME=0123456789ab"));
  CHECK(contains(process["env"], "HOME=/root"));
}

TEST_CASE("tty, console size, read-only root, hostname, domainname, workdir and no-new-privileges") {
  RunOptions options;
  options.tty = true;
  options.console_height = 40;
  options.console_width = 120;
  options.read_only = true;
  options.hostname = "web";
  options.domainname = "example.org";
  options.working_dir = "/srv";
  options.no_new_privileges = true;
  Json spec = build(options);
  CHECK(spec["process"]["terminal"] == true);
  CHECK(spec["process"]["consoleSize"] == Json{{"height", 40}, {"width", 120}});
  CHECK(contains(spec["process"]["env"], "TERM=xterm"));
  CHECK(spec["root"]["readonly"] == true);
  CHECK(spec["hostname"] == "web");
  CHECK(spec["domainname"] == "example.org");
  CHECK(spec["process"]["cwd"] == "/srv");
  CHECK(spec["process"]["noNewPrivileges"] == true);
}

TEST_CASE("the image WORKDIR is used unless --workdir is given; a relative one is refused") {
  auto image = busybox_image();
  image.working_dir = "/app";
  CHECK(build({}, sample_inputs(), root_user(), image)["process"]["cwd"] == "/app");
  RunOptions options;
  options.working_dir = "relative";
  auto failed = berth::spec::build_runtime_spec(image, options, root_user(), sample_inputs());
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message() == "the working directory 'relative' is invalid, it needs to be an absolute path");
}

TEST_CASE("capabilities: Docker's set for root, bounding only for other users, inheritable/ambient empty") {
  Json root = build({})["process"]["capabilities"];
  CHECK(root["bounding"].size() == 14);
  CHECK(root["effective"] == root["bounding"]);
  CHECK(root["permitted"] == root["bounding"]);
  CHECK(root["inheritable"].empty());
  CHECK(root["ambient"].empty());

  Json user = build({}, sample_inputs(), {1000, 1000, {1000}, "/home/app"})["process"]["capabilities"];
  CHECK(user["bounding"].size() == 14);
  CHECK(user["effective"].empty());
  CHECK(user["permitted"].empty());

  RunOptions options;
  options.cap_add = {"NET_ADMIN"};
  options.cap_drop = {"CAP_MKNOD"};
  Json tweaked = build(options)["process"]["capabilities"];
  CHECK(contains(tweaked["bounding"], "CAP_NET_ADMIN"));
  CHECK_FALSE(contains(tweaked["bounding"], "CAP_MKNOD"));
}

TEST_CASE("resources: --cpus 1.5, memory with Docker's default swap, pids, shares") {
  RunOptions options;
  options.nano_cpus = 1500000000;
  options.memory_bytes = 256LL * 1024 * 1024;
  options.pids_limit = 100;
  options.cpu_shares = 512;
  Json resources = build(options)["linux"]["resources"];
  CHECK(resources["cpu"]["quota"] == 150000);
  CHECK(resources["cpu"]["period"] == 100000);
  CHECK(resources["cpu"]["shares"] == 512);
  CHECK(resources["memory"]["limit"] == 256LL * 1024 * 1024);
  CHECK(resources["memory"]["swap"] == 512LL * 1024 * 1024);
  CHECK(resources["pids"]["limit"] == 100);

  options.memory_swap_bytes = -1;
  options.pids_limit = 0;  // Docker: 0 or less means unlimited
  Json unlimited = build(options)["linux"]["resources"];
  CHECK(unlimited["memory"]["swap"] == -1);
  CHECK(unlimited["pids"]["limit"] == -1);

  Json none = build({})["linux"]["resources"];
  CHECK_FALSE(none.contains("memory"));
  CHECK_FALSE(none.contains("cpu"));
  CHECK_FALSE(none.contains("pids"));
}

TEST_CASE("resources: Docker's validation messages") {
  auto failure = [](RunOptions options) {
    auto text = berth::spec::build_runtime_spec(busybox_image(), options, root_user(), sample_inputs());
    REQUIRE_FALSE(text);
    return text.error().message();
  };
  RunOptions tiny;
  tiny.memory_bytes = 1024 * 1024;
  CHECK(failure(tiny) == "Minimum memory limit allowed is 6MB");
  RunOptions swap_only;
  swap_only.memory_swap_bytes = 1LL << 30;
  CHECK(failure(swap_only) == "You should always set the Memory limit when using Memoryswap limit, see usage");
  RunOptions small_swap;
  small_swap.memory_bytes = 1LL << 30;
  small_swap.memory_swap_bytes = 1LL << 29;
  CHECK(failure(small_swap) == "Minimum memoryswap limit should be larger than memory limit, see usage");
  RunOptions too_many_cpus;
  too_many_cpus.nano_cpus = 3000000000;  // the sample host has 2
  CHECK(failure(too_many_cpus) == "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available");
}

TEST_CASE("device cgroup: Docker's list plus runc's additions; privileged allows everything") {
  Json devices = build({})["linux"]["resources"]["devices"];
  REQUIRE(devices.size() >= 10);
  CHECK(devices[0] == Json{{"allow", false}, {"access", "rwm"}});
  auto rule = [](bool allow, const char* type, int major, int minor, const char* access) {
    return Json{{"allow", allow}, {"type", type}, {"major", major}, {"minor", minor}, {"access", access}};
  };
  for (auto [major, minor] : std::vector<std::pair<int, int>>{{1, 5}, {1, 3}, {1, 9}, {1, 8}, {5, 0}, {5, 1},
                                                               {136, -1}, {5, 2}}) {
    INFO(major << ":" << minor);
    CHECK(contains(devices, rule(true, "c", major, minor, "rwm")));
  }
  CHECK(contains(devices, rule(true, "c", -1, -1, "m")));
  CHECK(contains(devices, rule(true, "b", -1, -1, "m")));
  CHECK(contains(devices, rule(false, "c", 10, 229, "rwm")));

  RunOptions privileged;
  privileged.privileged = true;
  CHECK(build(privileged)["linux"]["resources"]["devices"] == Json::array({{{"allow", true}, {"access", "rwm"}}}));
}

TEST_CASE("default mounts are Docker's, with the /etc files bound and the shm size") {
  Json spec = build({});
  Strings destinations;
  for (const auto& mount : spec["mounts"]) destinations.push_back(mount["destination"]);
  CHECK(destinations == Strings{"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm",
                                "/etc/resolv.conf", "/etc/hostname", "/etc/hosts"});
  CHECK((*mount_at(spec, "/proc"))["options"] == Json{"nosuid", "noexec", "nodev"});
  CHECK((*mount_at(spec, "/sys"))["options"] == Json{"nosuid", "noexec", "nodev", "ro"});
  CHECK((*mount_at(spec, "/sys/fs/cgroup"))["type"] == "cgroup");
  CHECK(contains((*mount_at(spec, "/sys/fs/cgroup"))["options"], "ro"));
  CHECK(contains((*mount_at(spec, "/dev/shm"))["options"], "size=67108864"));
  CHECK(contains((*mount_at(spec, "/dev/pts"))["options"], "gid=5"));
  const Json& hosts = *mount_at(spec, "/etc/hosts");
  CHECK(hosts["type"] == "bind");
  CHECK(hosts["source"] == "/var/lib/berth/containers/abc/hosts");
  CHECK(hosts["options"] == Json{"rbind", "rprivate"});

  RunOptions options;
  options.shm_size_bytes = 128LL * 1024 * 1024;
  options.read_only = true;
  Json sized = build(options);
  CHECK(contains((*mount_at(sized, "/dev/shm"))["options"], "size=134217728"));
  CHECK(contains((*mount_at(sized, "/etc/hosts"))["options"], "ro"));  // --read-only: the /etc files too
  CHECK_FALSE(contains((*mount_at(sized, "/dev/shm"))["options"], "ro"));
}

TEST_CASE("extra mounts replace defaults at the same destination, later wins, parents first") {
  RunOptions options;
  options.extra_mounts = {
      {"/data/cache", "tmpfs", "cache-tmpfs", {"size=1m"}},
      {"/data", "bind", "/srv/one", {"rbind"}},
      {"/data", "bind", "/srv/two", {"rbind", "ro"}},
      {"/dev/shm", "bind", "/host/shm", {"rbind"}},
      {"/etc/hosts", "bind", "/custom/hosts", {"rbind", "ro"}},
  };
  Json spec = build(options);
  Strings sources;
  int data_mounts = 0;
  for (const auto& mount : spec["mounts"]) {
    if (mount["destination"] == "/data") ++data_mounts;
    sources.push_back(mount["source"]);
  }
  CHECK(data_mounts == 1);
  CHECK((*mount_at(spec, "/data"))["source"] == "/srv/two");
  CHECK((*mount_at(spec, "/dev/shm"))["source"] == "/host/shm");
  CHECK((*mount_at(spec, "/etc/hosts"))["source"] == "/custom/hosts");
  // /data before /data/cache: a parent is mounted before what goes inside it.
  auto position = [&](const std::string& source) { return std::find(sources.begin(), sources.end(), source); };
  CHECK(position("/srv/two") < position("cache-tmpfs"));
  CHECK(std::count(sources.begin(), sources.end(), "shm") == 0);  // the default /dev/shm is gone

  RunOptions relative;
  relative.extra_mounts = {{"data", "bind", "/srv", {"rbind"}}};
  CHECK_FALSE(berth::spec::build_runtime_spec(busybox_image(), relative, root_user(), sample_inputs()));
}

TEST_CASE("--init binds the init binary read-only and prepends it to the command") {
  RunOptions options;
  options.init = true;
  Json spec = build(options);
  const Json* init = mount_at(spec, "/sbin/berth-init");
  REQUIRE(init);
  CHECK((*init)["source"] == "/usr/libexec/berth/berth-init");
  CHECK((*init)["options"] == Json{"bind", "ro"});
  CHECK(spec["process"]["args"] == Json{"/sbin/berth-init", "--", "sh"});
  auto inputs = sample_inputs();
  inputs.init_binary.clear();
  CHECK_FALSE(berth::spec::build_runtime_spec(busybox_image(), options, root_user(), inputs));
}

TEST_CASE("namespaces: pid, mount, uts, ipc, cgroup always; network by mode") {
  auto types = [](const Json& spec) {
    Strings result;
    for (const auto& ns : spec["linux"]["namespaces"]) result.push_back(ns["type"]);
    std::sort(result.begin(), result.end());
    return result;
  };
  Json none = build({});
  CHECK(types(none) == Strings{"cgroup", "ipc", "mount", "network", "pid", "uts"});

  RunOptions host;
  host.network_mode = "host";
  CHECK(types(build(host)) == Strings{"cgroup", "ipc", "mount", "pid", "uts"});

  RunOptions join;
  join.network_mode = "ns:/run/netns/other";
  Json joined = build(join);
  bool found = false;
  for (const auto& ns : joined["linux"]["namespaces"])
    if (ns["type"] == "network") found = ns["path"] == "/run/netns/other";
  CHECK(found);

  RunOptions bogus;
  bogus.network_mode = "bridge";
  CHECK_FALSE(berth::spec::build_runtime_spec(busybox_image(), bogus, root_user(), sample_inputs()));
}

TEST_CASE("sysctls: Docker's network sysctls only with a netns of its own, plus --sysctl") {
  Json own = build({});
  CHECK(own["linux"]["sysctl"]["net.ipv4.ping_group_range"] == "0 2147483647");
  CHECK(own["linux"]["sysctl"]["net.ipv4.ip_unprivileged_port_start"] == "0");

  RunOptions host;
  host.network_mode = "host";
  CHECK_FALSE(build(host)["linux"].contains("sysctl"));

  RunOptions join;
  join.network_mode = "ns:/run/netns/x";
  CHECK_FALSE(build(join)["linux"].contains("sysctl"));

  RunOptions custom;
  custom.sysctls = {"net.ipv4.ip_unprivileged_port_start=1024", "kernel.shmmax=1000"};
  Json spec = build(custom);
  CHECK(spec["linux"]["sysctl"]["net.ipv4.ip_unprivileged_port_start"] == "1024");
  CHECK(spec["linux"]["sysctl"]["kernel.shmmax"] == "1000");

  RunOptions forbidden;
  forbidden.sysctls = {"vm.swappiness=10"};
  auto refused = berth::spec::build_runtime_spec(busybox_image(), forbidden, root_user(), sample_inputs());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message() == "sysctl 'vm.swappiness=10' is not allowed");
  host.sysctls = {"net.core.somaxconn=1024"};
  CHECK_FALSE(berth::spec::build_runtime_spec(busybox_image(), host, root_user(), sample_inputs()));
}

TEST_CASE("masked and read-only paths: Docker's lists with thermal_throttle per CPU; cleared for privileged") {
  Json linux_section = build({})["linux"];
  for (const char* path : {"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
                           "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
                           "/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware",
                           "/sys/devices/system/cpu/cpu0/thermal_throttle",
                           "/sys/devices/system/cpu/cpu1/thermal_throttle"}) {
    INFO(path);
    CHECK(contains(linux_section["maskedPaths"], path));
  }
  CHECK_FALSE(contains(linux_section["maskedPaths"], "/sys/devices/system/cpu/cpu2/thermal_throttle"));
  CHECK(linux_section["readonlyPaths"] ==
        Json{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"});

  RunOptions privileged;
  privileged.privileged = true;
  Json spec = build(privileged);
  CHECK(spec["linux"]["maskedPaths"].empty());
  CHECK(spec["linux"]["readonlyPaths"].empty());
  CHECK_FALSE(contains((*mount_at(spec, "/sys"))["options"], "ro"));
  CHECK_FALSE(contains((*mount_at(spec, "/sys/fs/cgroup"))["options"], "ro"));
  CHECK(spec["process"]["capabilities"]["bounding"].size() == 41);

  RunOptions extra;
  extra.masked_paths_extra = {"/proc/custom"};
  extra.readonly_paths_extra = {"/proc/sys"};  // already there: not repeated
  Json extended = build(extra)["linux"];
  CHECK(contains(extended["maskedPaths"], "/proc/custom"));
  CHECK(extended["readonlyPaths"].size() == 5);
}

TEST_CASE("seccomp in the spec: default profile in OCI form, none when unconfined or privileged") {
  Json seccomp = build({})["linux"]["seccomp"];
  CHECK(seccomp["defaultAction"] == "SCMP_ACT_ERRNO");
  CHECK(seccomp["defaultErrnoRet"] == 1);
  CHECK(seccomp["architectures"] == Json{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"});
  bool saw_masked_clone = false;
  for (const auto& rule : seccomp["syscalls"]) {
    CHECK(rule.contains("names"));
    CHECK(rule.contains("action"));
    if (rule["names"] == Json{"clone"}) {
      CHECK(rule["args"] == Json::array({{{"index", 0}, {"value", 0x7E020000}, {"valueTwo", 0},
                                          {"op", "SCMP_CMP_MASKED_EQ"}}}));
      saw_masked_clone = true;
    }
    if (rule["names"] == Json{"clone3"}) CHECK(rule["errnoRet"] == 38);
  }
  CHECK(saw_masked_clone);
  CHECK_FALSE(seccomp_allows_outright(build({}), "mount"));

  RunOptions admin;
  admin.cap_add = {"SYS_ADMIN"};
  CHECK(seccomp_allows_outright(build(admin), "mount"));
  CHECK(seccomp_allows_outright(build(admin), "unshare"));

  RunOptions unconfined;
  unconfined.seccomp = "unconfined";
  CHECK_FALSE(build(unconfined)["linux"].contains("seccomp"));
  RunOptions privileged;
  privileged.privileged = true;
  CHECK_FALSE(build(privileged)["linux"].contains("seccomp"));
}

TEST_CASE("seccomp from a Docker-format file, applied even to privileged containers; bad JSON is an error") {
  RunOptions options;
  options.privileged = true;
  options.seccomp = R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
      {"names":["reboot"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"excludes":{"caps":["CAP_SYS_BOOT"]}},
      {"names":["keyctl"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]})";
  Json seccomp = build(options)["linux"]["seccomp"];
  CHECK(seccomp["defaultAction"] == "SCMP_ACT_ALLOW");
  REQUIRE(seccomp["syscalls"].size() == 1);  // privileged has CAP_SYS_BOOT: the reboot rule is excluded
  CHECK(seccomp["syscalls"][0]["names"] == Json{"keyctl"});
  CHECK_FALSE(seccomp.contains("defaultErrnoRet"));

  options.seccomp = "{not json";
  auto failed = berth::spec::build_runtime_spec(busybox_image(), options, root_user(), sample_inputs());
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message().rfind("decoding seccomp profile failed", 0) == 0);
}

TEST_CASE("rlimits: Docker's RLIMIT_NOFILE when berth's own limit is known, --ulimit values, unlimited as RLIM_INFINITY") {
  CHECK(build({})["process"]["rlimits"].empty());  // berth's own limit unknown: inherit it
  auto inputs = sample_inputs();
  inputs.nofile_hard_limit = 1048576;
  Json rlimits = build({}, inputs)["process"]["rlimits"];
  CHECK(rlimits == Json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 524288}, {"soft", 1024}}}));
  RunOptions options;
  options.ulimits = {{"nproc", 512, 512}, {"core", -1, -1}};
  Json given = build(options)["process"]["rlimits"];
  CHECK(contains(given, Json{{"type", "RLIMIT_NPROC"}, {"hard", 512}, {"soft", 512}}));
  CHECK(contains(given, Json{{"type", "RLIMIT_CORE"}, {"hard", UINT64_MAX}, {"soft", UINT64_MAX}}));
}

TEST_CASE("environment, user groups, annotations and devices reach the spec") {
  RunOptions options;
  options.env = {"A=1"};
  auto inputs = sample_inputs();
  inputs.annotations = {{"org.berth.service", "web"}};
  inputs.devices = {{"/dev/sda", 'b', 8, 0, 0660, 0, 6}};
  Json spec = build(options, inputs, {1000, 1000, {1000, 10}, "/home/app"});
  CHECK(contains(spec["process"]["env"], "A=1"));
  CHECK(contains(spec["process"]["env"], "HOME=/home/app"));
  CHECK(spec["process"]["user"]["additionalGids"] == Json{1000, 10});
  CHECK(spec["annotations"] == Json{{"org.berth.service", "web"}});
  CHECK(spec["linux"]["devices"][0] == Json{{"path", "/dev/sda"}, {"type", "b"}, {"major", 8}, {"minor", 0},
                                            {"fileMode", 0660}, {"uid", 0}, {"gid", 6}});
}

TEST_CASE("bad inputs are refused: relative rootfs, invalid hostname") {
  auto inputs = sample_inputs();
  inputs.rootfs = "rootfs";
  CHECK_FALSE(berth::spec::build_runtime_spec(busybox_image(), {}, root_user(), inputs));
  RunOptions options;
  options.hostname = "bad_host!";
  auto failed = berth::spec::build_runtime_spec(busybox_image(), options, root_user(), sample_inputs());
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message() == "invalid hostname format: bad_host!");
}

TEST_CASE("a shared bind makes the rootfs propagation shared") {
  RunOptions options;
  options.extra_mounts = {{"/mnt/shared", "bind", "/srv/shared", {"rbind", "rshared"}}};
  CHECK(build(options)["linux"]["rootfsPropagation"] == "shared");
  CHECK_FALSE(build({})["linux"].contains("rootfsPropagation"));
}
