#include <catch2/catch.hpp>

#include "engine/cgroup/plan.h"

using namespace berth::cgroup;

namespace {

constexpr int64_t kMiB = 1024 * 1024;

std::vector<FileWrite> plan(Mode mode, const Limits& limits, const HostFacts& host = {}) {
  auto writes = plan_limits(mode, limits, host);
  REQUIRE(writes);
  return *writes;
}

}  // namespace

TEST_CASE("plan_limits writes nothing for unset limits") {
  CHECK(plan(Mode::v1, Limits{}).empty());
  CHECK(plan(Mode::v2, Limits{}).empty());
  Limits zeros;
  zeros.memory_bytes = 0;  // Docker's "no limit"
  zeros.cpu_shares = 0;
  CHECK(plan(Mode::v2, zeros).empty());
}

TEST_CASE("plan_limits: v1 memory gets Docker's default swap of twice the memory") {
  Limits limits;
  limits.memory_bytes = 64 * kMiB;
  CHECK(plan(Mode::v1, limits) ==
        std::vector<FileWrite>{{"memory", "memory.limit_in_bytes", "67108864"},
                               {"memory", "memory.memsw.limit_in_bytes", "134217728"}});
  // Hybrid limits go through the v1 controllers too.
  CHECK(plan(Mode::hybrid, limits) == plan(Mode::v1, limits));
}

TEST_CASE("plan_limits: v1 raises memsw before memory when the new memory is above the current memsw") {
  Limits limits;
  limits.memory_bytes = 512 * kMiB;
  limits.memory_swap_bytes = 1024 * kMiB;
  HostFacts host;
  host.current_memsw_limit = 256 * kMiB;
  auto writes = plan(Mode::v1, limits, host);
  REQUIRE(writes.size() == 2);
  CHECK(writes[0].file == "memory.memsw.limit_in_bytes");
  CHECK(writes[1].file == "memory.limit_in_bytes");
  host.current_memsw_limit = 9223372036854771712;  // a fresh cgroup: unlimited
  writes = plan(Mode::v1, limits, host);
  CHECK(writes[0].file == "memory.limit_in_bytes");
}

TEST_CASE("plan_limits: v1 unlimited swap and no swap accounting") {
  Limits limits;
  limits.memory_bytes = 64 * kMiB;
  limits.memory_swap_bytes = -1;
  CHECK(plan(Mode::v1, limits) == std::vector<FileWrite>{{"memory", "memory.memsw.limit_in_bytes", "-1"},
                                                         {"memory", "memory.limit_in_bytes", "67108864"}});
  HostFacts no_swap;
  no_swap.swap_limit = false;
  CHECK(plan(Mode::v1, limits, no_swap) ==
        std::vector<FileWrite>{{"memory", "memory.limit_in_bytes", "67108864"}});
}

TEST_CASE("plan_limits: v2 swap.max holds swap alone (total minus memory)") {
  Limits limits;
  limits.memory_bytes = 64 * kMiB;
  CHECK(plan(Mode::v2, limits) == std::vector<FileWrite>{{"memory", "memory.max", "67108864"},
                                                         {"memory", "memory.swap.max", "67108864"}});
  limits.memory_swap_bytes = 100 * kMiB;
  CHECK(plan(Mode::v2, limits)[1].value == std::to_string(36 * kMiB));
  limits.memory_swap_bytes = 64 * kMiB;  // equal: no swap at all
  CHECK(plan(Mode::v2, limits)[1].value == "0");
  limits.memory_swap_bytes = -1;
  CHECK(plan(Mode::v2, limits)[1].value == "max");
  HostFacts no_swap;
  no_swap.swap_limit = false;
  CHECK(plan(Mode::v2, limits, no_swap).size() == 1);
  Limits unlimited;
  unlimited.memory_bytes = -1;
  CHECK(plan(Mode::v2, unlimited) == std::vector<FileWrite>{{"memory", "memory.max", "max"}});
}

TEST_CASE("plan_limits refuses swap without memory and swap below memory, as Docker") {
  Limits swap_only;
  swap_only.memory_swap_bytes = 64 * kMiB;
  auto refused = plan_limits(Mode::v2, swap_only, {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message().find("memory") != std::string::npos);
  Limits below;
  below.memory_bytes = 64 * kMiB;
  below.memory_swap_bytes = 32 * kMiB;
  CHECK_FALSE(plan_limits(Mode::v1, below, {}));
  Limits unlimited_swap_only;  // -1 without memory is harmless: nothing to write
  unlimited_swap_only.memory_swap_bytes = -1;
  CHECK(plan(Mode::v1, unlimited_swap_only).empty());
}

TEST_CASE("plan_limits: --cpus 1.5 as quota and period") {
  Limits limits;
  limits.cpu_quota_us = 150000;
  CHECK(plan(Mode::v2, limits) == std::vector<FileWrite>{{"cpu", "cpu.max", "150000 100000"}});
  CHECK(plan(Mode::v1, limits) == std::vector<FileWrite>{{"cpu", "cpu.cfs_period_us", "100000"},
                                                         {"cpu", "cpu.cfs_quota_us", "150000"}});
  limits.cpu_period_us = 50000;
  limits.cpu_quota_us = 25000;
  CHECK(plan(Mode::v2, limits)[0].value == "25000 50000");
  limits.cpu_quota_us = -1;
  CHECK(plan(Mode::v2, limits)[0].value == "max 50000");
  CHECK(plan(Mode::v1, limits)[1].value == "-1");
  limits.cpu_period_us = 0;
  CHECK_FALSE(plan_limits(Mode::v2, limits, {}));
}

TEST_CASE("plan_limits: shares stay shares on v1 and become weight on v2") {
  Limits limits;
  limits.cpu_shares = 512;
  CHECK(plan(Mode::v1, limits) == std::vector<FileWrite>{{"cpu", "cpu.shares", "512"}});
  CHECK(plan(Mode::v2, limits) == std::vector<FileWrite>{{"cpu", "cpu.weight", "20"}});
  limits.cpu_shares = 1;  // below the kernel's minimum: clamped like the kernel does
  CHECK(plan(Mode::v1, limits)[0].value == "2");
}

TEST_CASE("cpu_weight_from_shares follows runc's linear mapping") {
  CHECK(cpu_weight_from_shares(2) == 1);
  CHECK(cpu_weight_from_shares(1024) == 39);
  CHECK(cpu_weight_from_shares(512) == 20);
  CHECK(cpu_weight_from_shares(262144) == 10000);
  CHECK(cpu_weight_from_shares(1000000) == 10000);
  CHECK(cpu_weight_from_shares(1) == 1);
}

TEST_CASE("plan_limits: pids and cpuset") {
  Limits limits;
  limits.pids_max = 100;
  limits.cpuset_cpus = "0-1";
  auto expected = std::vector<FileWrite>{{"pids", "pids.max", "100"}, {"cpuset", "cpuset.cpus", "0-1"}};
  CHECK(plan(Mode::v1, limits) == expected);
  CHECK(plan(Mode::v2, limits) == expected);
  limits.pids_max = 0;
  CHECK(plan(Mode::v2, limits)[0].value == "max");
  limits.pids_max = -1;
  CHECK(plan(Mode::v1, limits)[0].value == "max");
}

TEST_CASE("plan_v1_device_rules: deny all first, then each rule in order") {
  std::vector<DeviceRule> docker = {
      {false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"},  {true, 'c', 1, 5, "rwm"},
      {true, 'c', 136, -1, "rwm"}, {true, 'b', -1, -1, "m"}, {false, 'c', 10, 229, "rwm"},
  };
  CHECK(plan_v1_device_rules(docker) == std::vector<FileWrite>{
                                            {"devices", "devices.deny", "a"},
                                            {"devices", "devices.allow", "c 1:3 rwm"},
                                            {"devices", "devices.allow", "c 1:5 rwm"},
                                            {"devices", "devices.allow", "c 136:* rwm"},
                                            {"devices", "devices.allow", "b *:* m"},
                                            {"devices", "devices.deny", "c 10:229 rwm"},
                                        });
  // Without a leading "deny all" we add one; a type-a rule with numbers becomes c and b lines.
  std::vector<DeviceRule> numbered_any = {{true, 'a', 7, -1, "r"}};
  CHECK(plan_v1_device_rules(numbered_any) ==
        std::vector<FileWrite>{{"devices", "devices.deny", "a"},
                               {"devices", "devices.allow", "c 7:* r"},
                               {"devices", "devices.allow", "b 7:* r"}});
  CHECK(plan_v1_device_rules({}) == std::vector<FileWrite>{{"devices", "devices.deny", "a"}});
}

TEST_CASE("validate_device_rules refuses bad types, accesses and numbers") {
  CHECK(validate_device_rules({{true, 'c', 1, 3, "rwm"}, {false, 'a', -1, -1, "m"}}));
  CHECK_FALSE(validate_device_rules({{true, 'x', 1, 3, "rwm"}}));
  CHECK_FALSE(validate_device_rules({{true, 'c', 1, 3, ""}}));
  auto bad_access = validate_device_rules({{true, 'c', 1, 3, "rq"}});
  REQUIRE_FALSE(bad_access);
  CHECK(bad_access.error().message().find("rule 1") != std::string::npos);
  CHECK_FALSE(validate_device_rules({{true, 'c', int64_t{1} << 40, 3, "r"}}));
}

TEST_CASE("subtree_control_change enables only what is wanted, available and not yet enabled") {
  std::vector<std::string> wanted = {"cpuset", "cpu", "io", "memory", "pids"};
  std::vector<std::string> all = {"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"};
  CHECK(subtree_control_change({}, all, wanted) == "+cpuset +cpu +io +memory +pids");
  CHECK(subtree_control_change({"cpu", "memory"}, all, wanted) == "+cpuset +io +pids");
  CHECK(subtree_control_change(wanted, all, wanted).empty());
  CHECK(subtree_control_change({}, {"hugetlb"}, wanted).empty());  // this host's unified hierarchy
}

TEST_CASE("relative_path_prefixes lists each ancestor, refuses escapes") {
  auto prefixes = relative_path_prefixes("berth/abc");
  REQUIRE(prefixes);
  CHECK(*prefixes == std::vector<std::string>{"berth", "berth/abc"});
  CHECK_FALSE(relative_path_prefixes(""));
  CHECK_FALSE(relative_path_prefixes("/berth/abc"));
  CHECK_FALSE(relative_path_prefixes("berth/../etc"));
  CHECK_FALSE(relative_path_prefixes("berth//abc"));
  CHECK_FALSE(relative_path_prefixes("berth/abc/"));
}
