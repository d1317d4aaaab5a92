#include <catch2/catch.hpp>

#include "engine/cgroup/cgroup.h"

using namespace berth::cgroup;

namespace {

// This project's own host: v1 controllers each in its own hierarchy, cgroup2 at /sys/fs/cgroup/unified.
const char* kHybridMountinfo =
    "24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

// Debian 10 / Ubuntu 20.04 style legacy host: co-mounted cpu,cpuacct and net_cls,net_prio, optional fields present.
const char* kV1Mountinfo =
    "25 24 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup "
    "rw,xattr,name=systemd\n"
    "29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup "
    "rw,cpu,cpuacct\n"
    "30 25 0:27 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup "
    "rw,net_cls,net_prio\n"
    "31 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,memory\n"
    "32 25 0:29 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,pids\n"
    "33 25 0:30 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup "
    "rw,cpuset,clone_children\n"
    "34 25 0:31 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,devices\n"
    "35 25 0:32 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,freezer\n"
    "36 25 0:33 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,blkio\n";

const char* kV2Mountinfo =
    "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
    "26 23 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n"
    "27 23 0:24 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:5 - pstore pstore rw\n";

}  // namespace

TEST_CASE("parse_layout: hybrid host with one hierarchy per controller and cgroup2 at unified") {
  auto layout = parse_layout(kHybridMountinfo);
  REQUIRE(layout);
  CHECK(layout->mode == Mode::hybrid);
  CHECK(layout->root == "/sys/fs/cgroup");
  CHECK(layout->unified_mount == "/sys/fs/cgroup/unified");
  CHECK(layout->v1_mounts.at("cpu") == "/sys/fs/cgroup/cpu");
  CHECK(layout->v1_mounts.at("cpuacct") == "/sys/fs/cgroup/cpuacct");
  CHECK(layout->v1_mounts.at("memory") == "/sys/fs/cgroup/memory");
  CHECK(layout->v1_mounts.at("name=systemd") == "/sys/fs/cgroup/systemd");
  CHECK(layout->v1_mounts.size() == 9);
  CHECK(layout->controllers ==
        std::vector<std::string>{"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids"});
}

TEST_CASE("parse_layout: legacy v1 with co-mounted controllers and optional fields") {
  auto layout = parse_layout(kV1Mountinfo);
  REQUIRE(layout);
  CHECK(layout->mode == Mode::v1);
  CHECK(layout->unified_mount.empty());
  CHECK(layout->v1_mounts.at("cpu") == "/sys/fs/cgroup/cpu,cpuacct");
  CHECK(layout->v1_mounts.at("cpuacct") == "/sys/fs/cgroup/cpu,cpuacct");
  CHECK(layout->v1_mounts.at("net_prio") == "/sys/fs/cgroup/net_cls,net_prio");
  CHECK(layout->v1_mounts.at("cpuset") == "/sys/fs/cgroup/cpuset");  // clone_children is a flag, not a controller
  CHECK(layout->v1_mounts.count("clone_children") == 0);
  CHECK(layout->v1_mounts.count("xattr") == 0);
  CHECK(layout->v1_mounts.at("name=systemd") == "/sys/fs/cgroup/systemd");
  CHECK(layout->root == "/sys/fs/cgroup");
}

TEST_CASE("parse_layout: unified v2 host") {
  auto layout = parse_layout(kV2Mountinfo);
  REQUIRE(layout);
  CHECK(layout->mode == Mode::v2);
  CHECK(layout->root == "/sys/fs/cgroup");
  CHECK(layout->unified_mount == "/sys/fs/cgroup");
  CHECK(layout->v1_mounts.empty());
  CHECK(layout->controllers.empty());  // read from cgroup.controllers by detect()
}

TEST_CASE("parse_layout: a lone name=systemd v1 mount beside cgroup2 is still v2") {
  std::string mountinfo = std::string(kV2Mountinfo) +
                          "40 26 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n";
  auto layout = parse_layout(mountinfo);
  REQUIRE(layout);
  CHECK(layout->mode == Mode::v2);
  CHECK(layout->v1_mounts.empty());
}

TEST_CASE("parse_layout: prefers a mount of the whole hierarchy, unescapes paths") {
  std::string mountinfo =
      "50 40 0:32 /docker/abc /mnt/inner\\040memory rw - cgroup cgroup rw,memory\n"
      "51 40 0:32 / /srv/cg\\040mem rw - cgroup cgroup rw,memory\n";
  auto layout = parse_layout(mountinfo);
  REQUIRE(layout);
  CHECK(layout->mode == Mode::v1);
  CHECK(layout->v1_mounts.at("memory") == "/srv/cg mem");
  CHECK(layout->root == "/srv");
}

TEST_CASE("parse_layout: no cgroup mount at all is an error") {
  auto layout = parse_layout("22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
  REQUIRE_FALSE(layout);
  CHECK(layout.error().errno_value() == ENOENT);
  CHECK_FALSE(parse_layout(""));
}

TEST_CASE("parse_controller_list splits cgroup.controllers") {
  CHECK(parse_controller_list("cpuset cpu io memory pids\n") ==
        std::vector<std::string>{"cpuset", "cpu", "io", "memory", "pids"});
  CHECK(parse_controller_list("\n").empty());
  CHECK(parse_controller_list("hugetlb") == std::vector<std::string>{"hugetlb"});
}

TEST_CASE("summarize names the mode, version and controllers for berth info") {
  auto hybrid = parse_layout(kHybridMountinfo);
  REQUIRE(hybrid);
  auto summary = summarize(*hybrid);
  CHECK(summary.mode == "hybrid");
  CHECK(summary.version == 1);
  CHECK(summary.driver == "cgroupfs");
  CHECK(summary.controllers.front() == "blkio");
  Layout v2;
  v2.mode = Mode::v2;
  v2.controllers = {"pids", "cpu", "memory"};
  auto v2_summary = summarize(v2);
  CHECK(v2_summary.mode == "v2");
  CHECK(v2_summary.version == 2);
  CHECK(v2_summary.controllers == std::vector<std::string>{"cpu", "memory", "pids"});
  CHECK(std::string(mode_name(Mode::v1)) == "v1");
}
