// Cgroup against a fake cgroupfs in a temporary directory: the files a kernel would show are created up front, and
// the tests check what berth wrote into them.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "core/fs.h"
#include "core/text.h"
#include "engine/cgroup/cgroup.h"

using namespace berth;
using namespace berth::cgroup;

namespace {

constexpr const char* kLeaf = "berth/c1";
constexpr int64_t kMiB = 1024 * 1024;

class TempTree {
 public:
  TempTree() {
    auto made = fs::make_temp_directory("/tmp", "berth-cgroup-unit-");
    REQUIRE(made);
    path_ = *made;
  }
  ~TempTree() { (void)fs::remove_tree(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void put(const std::string& path, const std::string& content) {
  REQUIRE(fs::make_directories(path.substr(0, path.find_last_of('/'))));
  REQUIRE(fs::write_file_atomic(path, content));
}

std::string read(const std::string& path) {
  auto content = fs::read_file(path);
  REQUIRE(content);
  return std::string(text::trim(*content));
}

// The files a v1 kernel shows in one hierarchy's cgroup directory.
std::map<std::string, std::string> v1_files(const std::string& hierarchy) {
  std::map<std::string, std::string> files = {{"cgroup.procs", ""}, {"cgroup.clone_children", "0"}};
  if (hierarchy == "memory") {
    files["memory.limit_in_bytes"] = "9223372036854771712";
    files["memory.memsw.limit_in_bytes"] = "9223372036854771712";
    files["memory.usage_in_bytes"] = "1000";
    files["memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n";
  } else if (hierarchy == "cpu") {
    files["cpu.cfs_quota_us"] = "-1";
    files["cpu.cfs_period_us"] = "100000";
    files["cpu.shares"] = "1024";
  } else if (hierarchy == "cpuacct") {
    files["cpuacct.usage"] = "5000";
  } else if (hierarchy == "pids") {
    files["pids.max"] = "max";
    files["pids.current"] = "3";
  } else if (hierarchy == "cpuset") {
    files["cpuset.cpus"] = "";
    files["cpuset.mems"] = "";
  } else if (hierarchy == "devices") {
    files["devices.allow"] = "";
    files["devices.deny"] = "";
  } else if (hierarchy == "freezer") {
    files["freezer.state"] = "THAWED";
  }
  return files;
}

const char* const kV1Hierarchies[] = {"cpu", "cpuacct", "cpuset", "memory", "devices",
                                      "freezer", "blkio", "pids", "systemd"};

// A v1 (or hybrid) tree with berth/ and the leaf already populated as the kernel would after mkdir.
Layout fake_v1(const std::string& root, bool hybrid = false, bool comounted_cpu = false) {
  Layout layout;
  layout.mode = hybrid ? Mode::hybrid : Mode::v1;
  layout.root = root;
  for (const char* hierarchy : kV1Hierarchies) {
    std::string name = hierarchy;
    std::string mount = fs::join(root, name);
    if (comounted_cpu && (name == "cpu" || name == "cpuacct")) mount = fs::join(root, "cpu,cpuacct");
    std::string key = name == "systemd" ? "name=systemd" : name;
    layout.v1_mounts[key] = mount;
    if (key != "name=systemd") layout.controllers.push_back(key);
    for (const std::string& directory : {std::string(), std::string("berth"), std::string(kLeaf)})
      for (auto& [file, content] : v1_files(name)) put(fs::join(fs::join(mount, directory), file), content);
  }
  put(fs::join(root, "cpuset/cpuset.cpus"), "0-3\n");
  put(fs::join(root, "cpuset/cpuset.mems"), "0\n");
  if (hybrid) {
    layout.unified_mount = fs::join(root, "unified");
    for (const std::string& directory : {std::string(), std::string("berth"), std::string(kLeaf)}) {
      put(fs::join(layout.unified_mount, fs::join(directory, "cgroup.procs")), "");
      put(fs::join(layout.unified_mount, fs::join(directory, "cgroup.subtree_control")), "");
    }
  }
  return layout;
}

Layout fake_v2(const std::string& root, const std::string& root_subtree_control = "") {
  Layout layout;
  layout.mode = Mode::v2;
  layout.root = root;
  layout.unified_mount = root;
  layout.controllers = {"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"};
  put(fs::join(root, "cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
  put(fs::join(root, "cgroup.subtree_control"), root_subtree_control);
  put(fs::join(root, "berth/cgroup.subtree_control"), "");
  std::map<std::string, std::string> leaf = {
      {"cgroup.procs", ""},        {"cgroup.subtree_control", ""}, {"memory.max", "max"},
      {"memory.swap.max", "max"},  {"memory.current", "2048"},     {"cpu.max", "max 100000"},
      {"cpu.weight", "100"},       {"cpu.stat", "usage_usec 7\nuser_usec 5\n"},
      {"pids.max", "max"},         {"pids.current", "2"},          {"cpuset.cpus", ""},
      {"memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"},
  };
  for (auto& [file, content] : leaf) put(fs::join(root, fs::join(kLeaf, file)), content);
  return layout;
}

// Empties a leaf so rmdir can remove it, as the kernel's files vanish with the cgroup.
void empty_leaf_directories(const Cgroup& cgroup) {
  for (const auto& dir : cgroup.directories()) {
    REQUIRE(fs::remove_tree(dir));
    REQUIRE(fs::make_directories(dir));
  }
}

}  // namespace

TEST_CASE("v1: create copies cpuset cpus/mems down from the root, one directory per hierarchy") {
  TempTree tree;
  auto layout = fake_v1(tree.path());
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  CHECK(read(tree.path() + "/cpuset/berth/cpuset.cpus") == "0-3");
  CHECK(read(tree.path() + "/cpuset/berth/cpuset.mems") == "0");
  CHECK(read(tree.path() + "/cpuset/berth/c1/cpuset.cpus") == "0-3");
  CHECK(read(tree.path() + "/cpuset/berth/c1/cpuset.mems") == "0");
  auto directories = cgroup->directories();
  CHECK(directories.size() == 9);
  CHECK(cgroup->directory("memory") == tree.path() + "/memory/berth/c1");
  CHECK(cgroup->directory("name=systemd") == tree.path() + "/systemd/berth/c1");
  CHECK(cgroup->directory("").empty());  // no unified hierarchy on v1
  CHECK(cgroup->exists());
}

TEST_CASE("v1: co-mounted cpu,cpuacct share one directory") {
  TempTree tree;
  auto layout = fake_v1(tree.path(), false, true);
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  CHECK(cgroup->directories().size() == 8);
  CHECK(cgroup->directory("cpu") == cgroup->directory("cpuacct"));
  Limits limits;
  limits.cpu_quota_us = 150000;
  REQUIRE(cgroup->apply(limits));
  CHECK(read(tree.path() + "/cpu,cpuacct/berth/c1/cpu.cfs_quota_us") == "150000");
}

TEST_CASE("v1: apply writes each set limit and nothing else") {
  TempTree tree;
  auto layout = fake_v1(tree.path());
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  REQUIRE(cgroup->apply(Limits{}));
  CHECK(read(cgroup->directory("memory") + "/memory.limit_in_bytes") == "9223372036854771712");
  CHECK(read(cgroup->directory("cpu") + "/cpu.shares") == "1024");
  CHECK(read(cgroup->directory("pids") + "/pids.max") == "max");

  Limits limits;
  limits.memory_bytes = 64 * kMiB;
  limits.cpu_quota_us = 150000;  // --cpus 1.5
  limits.cpu_shares = 512;
  limits.pids_max = 100;
  limits.cpuset_cpus = "0-1";
  REQUIRE(cgroup->apply(limits));
  CHECK(read(cgroup->directory("memory") + "/memory.limit_in_bytes") == std::to_string(64 * kMiB));
  CHECK(read(cgroup->directory("memory") + "/memory.memsw.limit_in_bytes") == std::to_string(128 * kMiB));
  CHECK(read(cgroup->directory("cpu") + "/cpu.cfs_quota_us") == "150000");
  CHECK(read(cgroup->directory("cpu") + "/cpu.cfs_period_us") == "100000");
  CHECK(read(cgroup->directory("cpu") + "/cpu.shares") == "512");
  CHECK(read(cgroup->directory("pids") + "/pids.max") == "100");
  CHECK(read(cgroup->directory("cpuset") + "/cpuset.cpus") == "0-1");
}

TEST_CASE("v1: no memsw file means memory without swap limit") {
  TempTree tree;
  auto layout = fake_v1(tree.path());
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  REQUIRE(::unlink((cgroup->directory("memory") + "/memory.memsw.limit_in_bytes").c_str()) == 0);
  Limits limits;
  limits.memory_bytes = 32 * kMiB;
  REQUIRE(cgroup->apply(limits));
  CHECK(read(cgroup->directory("memory") + "/memory.limit_in_bytes") == std::to_string(32 * kMiB));
  CHECK_FALSE(fs::exists(cgroup->directory("memory") + "/memory.memsw.limit_in_bytes"));
}

TEST_CASE("v1: errors name the file and the errno") {
  TempTree tree;
  auto layout = fake_v1(tree.path());
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  auto pids_max = cgroup->directory("pids") + "/pids.max";
  REQUIRE(::unlink(pids_max.c_str()) == 0);
  Limits limits;
  limits.pids_max = 10;
  auto applied = cgroup->apply(limits);
  REQUIRE_FALSE(applied);
  CHECK(applied.error().errno_value() == ENOENT);
  CHECK(applied.error().message().find(pids_max) != std::string::npos);
  CHECK(applied.error().message().find("No such file or directory") != std::string::npos);

  layout.v1_mounts.erase("pids");
  auto without_pids = Cgroup::open(layout, kLeaf);
  auto refused = without_pids.apply(limits);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message().find("pids controller") != std::string::npos);
}

TEST_CASE("v1: attach writes the pid into every hierarchy; hybrid also into the unified one") {
  TempTree tree;
  auto layout = fake_v1(tree.path(), true);
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  CHECK(cgroup->directories().size() == 10);
  REQUIRE(cgroup->attach(4242));
  for (const auto& dir : cgroup->directories()) CHECK(read(dir + "/cgroup.procs") == "4242");
  CHECK(cgroup->directory("") == tree.path() + "/unified/berth/c1");
  CHECK_FALSE(cgroup->open_directory());  // clone3 into a cgroup is a v2 thing
}

TEST_CASE("v1: devices get deny-all first, then the rules") {
  TempTree tree;
  auto layout = fake_v1(tree.path());
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  REQUIRE(cgroup->apply_device_rules({{true, 'c', 1, 3, "rwm"}, {true, 'c', 136, -1, "rwm"}}));
  // Each write replaces the fake file: what is left is the last line written to each.
  CHECK(read(cgroup->directory("devices") + "/devices.deny") == "a");
  CHECK(read(cgroup->directory("devices") + "/devices.allow") == "c 136:* rwm");
  REQUIRE(cgroup->apply_device_rules({{false, 'a', -1, -1, "rwm"}, {false, 'c', 10, 229, "rwm"}}));
  CHECK(read(cgroup->directory("devices") + "/devices.deny") == "c 10:229 rwm");
  CHECK_FALSE(cgroup->apply_device_rules({{true, 'q', 1, 3, "rwm"}}));
}

TEST_CASE("v1: processes, oom_killed and stats read the kernel's files") {
  TempTree tree;
  auto layout = fake_v1(tree.path());
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  // Fake pids only: this cgroup is never remove()d while they are listed.
  put(cgroup->directory("pids") + "/cgroup.procs", "12\n34\n");
  auto pids = cgroup->processes();
  REQUIRE(pids);
  CHECK(*pids == std::vector<pid_t>{12, 34});
  auto oom = cgroup->oom_killed();
  REQUIRE(oom);
  CHECK_FALSE(*oom);
  put(cgroup->directory("memory") + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  CHECK(cgroup->oom_killed().value());
  auto stats = cgroup->stats();
  REQUIRE(stats);
  CHECK(stats->memory_usage_bytes == 1000);
  CHECK(stats->memory_limit_bytes == 0);  // unlimited
  CHECK(stats->pids_current == 3);
  CHECK(stats->cpu_usage_ns == 5000);
}

TEST_CASE("v1: remove deletes the leaf in every hierarchy, keeps berth/, and tolerates missing directories") {
  TempTree tree;
  auto layout = fake_v1(tree.path(), true);
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  empty_leaf_directories(*cgroup);
  REQUIRE(::rmdir(cgroup->directory("blkio").c_str()) == 0);  // a half-cleaned crash
  REQUIRE(cgroup->remove());
  for (const auto& dir : cgroup->directories()) CHECK_FALSE(fs::exists(dir));
  CHECK(fs::is_directory(tree.path() + "/memory/berth"));
  CHECK(fs::is_directory(tree.path() + "/unified/berth"));
  CHECK_FALSE(cgroup->exists());
  REQUIRE(cgroup->remove());  // again: nothing left, still fine
}

TEST_CASE("remove reports a directory it cannot remove, with the path") {
  TempTree tree;
  auto layout = fake_v1(tree.path());
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  empty_leaf_directories(*cgroup);
  put(cgroup->directory("devices") + "/stray", "x");
  auto removed = cgroup->remove();
  REQUIRE_FALSE(removed);
  CHECK(removed.error().message().find("rmdir " + cgroup->directory("devices")) != std::string::npos);
  CHECK_FALSE(fs::exists(cgroup->directory("memory")));  // the others are gone nonetheless
}

TEST_CASE("v2: create enables the controllers in each ancestor's subtree_control") {
  TempTree tree;
  auto layout = fake_v2(tree.path());
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  CHECK(read(tree.path() + "/cgroup.subtree_control") == "+cpuset +cpu +io +memory +pids");
  CHECK(read(tree.path() + "/berth/cgroup.subtree_control") == "+cpuset +cpu +io +memory +pids");
  CHECK(read(tree.path() + "/berth/c1/cgroup.subtree_control").empty());  // the leaf holds processes
  CHECK(cgroup->directories() == std::vector<std::string>{tree.path() + "/berth/c1"});
  CHECK(cgroup->directory("memory") == tree.path() + "/berth/c1");
}

TEST_CASE("v2: create writes only the controllers that are missing") {
  TempTree tree;
  auto layout = fake_v2(tree.path(), "cpu memory\n");
  layout.controllers = {"cpu", "memory", "pids"};
  REQUIRE(Cgroup::create(layout, kLeaf));
  CHECK(read(tree.path() + "/cgroup.subtree_control") == "+pids");
  CHECK(read(tree.path() + "/berth/cgroup.subtree_control") == "+cpu +memory +pids");

  TempTree second;
  auto complete = fake_v2(second.path(), "cpuset cpu io memory pids\n");
  put(second.path() + "/berth/cgroup.subtree_control", "cpuset cpu io memory pids\n");
  REQUIRE(Cgroup::create(complete, kLeaf));
  CHECK(read(second.path() + "/cgroup.subtree_control") == "cpuset cpu io memory pids");  // untouched
}

TEST_CASE("v2: apply writes cpu.max, weight, memory and swap, pids, cpuset") {
  TempTree tree;
  auto layout = fake_v2(tree.path());
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  Limits limits;
  limits.memory_bytes = 64 * kMiB;
  limits.memory_swap_bytes = 96 * kMiB;
  limits.cpu_quota_us = 150000;
  limits.cpu_shares = 512;
  limits.pids_max = 0;
  limits.cpuset_cpus = "1";
  REQUIRE(cgroup->apply(limits));
  auto dir = cgroup->directory("");
  CHECK(read(dir + "/cpu.max") == "150000 100000");
  CHECK(read(dir + "/cpu.weight") == "20");
  CHECK(read(dir + "/memory.max") == std::to_string(64 * kMiB));
  CHECK(read(dir + "/memory.swap.max") == std::to_string(32 * kMiB));
  CHECK(read(dir + "/pids.max") == "max");
  CHECK(read(dir + "/cpuset.cpus") == "1");
}

TEST_CASE("v2: a limit whose controller the host lacks is an error, not a silent no-op") {
  TempTree tree;
  auto layout = fake_v2(tree.path());
  layout.controllers = {"cpu", "memory"};
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  Limits limits;
  limits.pids_max = 10;
  auto applied = cgroup->apply(limits);
  REQUIRE_FALSE(applied);
  CHECK(applied.error().message().find("pids") != std::string::npos);
  CHECK(read(cgroup->directory("") + "/pids.max") == "max");
}

TEST_CASE("v2: attach, open_directory, processes, oom_killed, stats, remove") {
  TempTree tree;
  auto layout = fake_v2(tree.path());
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  REQUIRE(cgroup->attach(777));
  CHECK(read(cgroup->directory("") + "/cgroup.procs") == "777");
  auto fd = cgroup->open_directory();
  REQUIRE(fd);
  CHECK(fd->valid());
  CHECK(::fcntl(fd->get(), F_GETFL) & O_PATH);

  put(cgroup->directory("") + "/cgroup.procs", "5\n");  // fake pid, cleared before remove()
  CHECK(cgroup->processes().value() == std::vector<pid_t>{5});
  CHECK_FALSE(cgroup->oom_killed().value());
  put(cgroup->directory("") + "/memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n");
  CHECK(cgroup->oom_killed().value());
  auto stats = cgroup->stats();
  REQUIRE(stats);
  CHECK(stats->memory_usage_bytes == 2048);
  CHECK(stats->memory_limit_bytes == 0);
  CHECK(stats->pids_current == 2);
  CHECK(stats->cpu_usage_ns == 7000);

  empty_leaf_directories(*cgroup);
  CHECK(cgroup->processes().value().empty());
  REQUIRE(cgroup->remove());
  CHECK_FALSE(fs::exists(tree.path() + "/berth/c1"));
  CHECK(fs::is_directory(tree.path() + "/berth"));
}

TEST_CASE("create refuses paths that are absolute or climb out") {
  TempTree tree;
  auto layout = fake_v2(tree.path());
  CHECK_FALSE(Cgroup::create(layout, "/berth/x"));
  CHECK_FALSE(Cgroup::create(layout, "berth/../../etc"));
  CHECK_FALSE(Cgroup::create(layout, ""));
}

TEST_CASE("fast join: the child writes 0 into each v1 tasks file; the unified part is for clone3") {
  TempTree tree;
  auto layout = fake_v1(tree.path(), true);
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  auto plan = cgroup->self_join_plan();
  CHECK(plan.tasks_files.size() == 9);  // every v1 hierarchy, not the unified one
  const char* failed = nullptr;
  CHECK(join_self(plan, &failed) == ENOENT);  // a fake tree has no tasks files yet
  REQUIRE(failed != nullptr);
  CHECK(std::string(failed) == plan.tasks_files.front());
  for (const auto& file : plan.tasks_files) put(file, "");
  CHECK(join_self(plan) == 0);
  for (const auto& file : plan.tasks_files) CHECK(read(file) == "0");
  auto unified = cgroup->open_unified_directory();
  REQUIRE(unified);
  CHECK(unified->valid());

  TempTree legacy_tree;
  auto legacy = Cgroup::create(fake_v1(legacy_tree.path()), kLeaf);
  REQUIRE(legacy);
  auto none = legacy->open_unified_directory();
  REQUIRE(none);
  CHECK_FALSE(none->valid());

  TempTree v2_tree;
  auto v2 = Cgroup::create(fake_v2(v2_tree.path()), kLeaf);
  REQUIRE(v2);
  CHECK(v2->self_join_plan().tasks_files.empty());
  CHECK(v2->open_unified_directory().value().valid());
}

TEST_CASE("cgroups a container made inside its own: their processes count, and remove takes them first") {
  TempTree tree;
  auto layout = fake_v2(tree.path());
  auto cgroup = Cgroup::create(layout, kLeaf);
  REQUIRE(cgroup);
  put(cgroup->directory("") + "/cgroup.procs", "5\n");
  put(cgroup->directory("") + "/init.scope/cgroup.procs", "6\n");
  put(cgroup->directory("") + "/system.slice/cgroup.procs", "");
  put(cgroup->directory("") + "/system.slice/app.service/cgroup.procs", "7\n8\n");
  auto pids = cgroup->processes();
  REQUIRE(pids);
  std::sort(pids->begin(), pids->end());
  CHECK(*pids == std::vector<pid_t>{5, 6, 7, 8});

  empty_leaf_directories(*cgroup);
  REQUIRE(fs::make_directories(cgroup->directory("") + "/system.slice/app.service"));
  REQUIRE(cgroup->remove());
  CHECK_FALSE(fs::exists(cgroup->directory("")));
}
