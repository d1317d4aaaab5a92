// Which cgroup hierarchies this host has, from /proc/self/mountinfo.
#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "core/fs.h"
#include "core/text.h"
#include "engine/cgroup/cgroup.h"

namespace berth::cgroup {
namespace {

// The controllers a v1 "cgroup" mount can carry; everything else in its options (rw, clone_children, xattr,
// release_agent=..., favordynmods, ...) is a mount flag. Named hierarchies ("name=systemd") are kept as such.
const std::set<std::string>& v1_controller_names() {
  static const std::set<std::string> names = {"cpuset", "cpu",     "cpuacct", "blkio",   "memory",
                                              "devices", "freezer", "net_cls", "perf_event", "net_prio",
                                              "hugetlb", "pids",    "rdma",    "misc",    "debug"};
  return names;
}

// mountinfo escapes space, tab, newline and backslash in paths as \ooo.
std::string unescape_octal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto octal = [&](size_t at, char highest) { return text[at] >= '0' && text[at] <= highest; };
    if (text[i] == '\\' && i + 3 < text.size() && octal(i + 1, '3') && octal(i + 2, '7') && octal(i + 3, '7')) {
      out += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0'));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

struct CgroupMount {
  std::string root;         // field 4: the directory of the hierarchy this mount shows ("/" normally)
  std::string mount_point;  // field 5
  std::string type;         // "cgroup" or "cgroup2"
  std::vector<std::string> controllers;  // v1 only, from the super options
};

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> words;
  size_t position = 0;
  while (position < line.size()) {
    while (position < line.size() && line[position] == ' ') ++position;
    size_t end = line.find(' ', position);
    if (end == std::string_view::npos) end = line.size();
    if (end > position) words.emplace_back(line.substr(position, end - position));
    position = end;
  }
  return words;
}

std::vector<CgroupMount> cgroup_mounts(const std::string& mountinfo) {
  std::vector<CgroupMount> mounts;
  for (const auto& line : text::split(mountinfo, '\n')) {
    auto words = split_words(line);
    // id parent major:minor root mount-point options [optional fields...] - type source super-options
    auto separator = std::find(words.begin(), words.end(), "-");
    if (words.size() < 6 || separator == words.end() || words.end() - separator < 4) continue;
    const std::string& type = *(separator + 1);
    if (type != "cgroup" && type != "cgroup2") continue;
    CgroupMount mount{unescape_octal(words[3]), unescape_octal(words[4]), type, {}};
    if (type == "cgroup") {
      for (const auto& option : text::split(*(separator + 3), ',')) {
        if (v1_controller_names().count(option) || text::starts_with(option, "name="))
          mount.controllers.push_back(option);
      }
      if (mount.controllers.empty()) continue;
    }
    mounts.push_back(std::move(mount));
  }
  // A hierarchy may be mounted more than once (bind mounts of a sub-directory, containers): prefer the mount that
  // shows the whole hierarchy, then the one under /sys/fs/cgroup.
  std::stable_sort(mounts.begin(), mounts.end(), [](const CgroupMount& a, const CgroupMount& b) {
    auto rank = [](const CgroupMount& m) {
      return (m.root == "/" ? 0 : 2) + (text::starts_with(m.mount_point, "/sys/fs/cgroup") ? 0 : 1);
    };
    return rank(a) < rank(b);
  });
  return mounts;
}

std::string parent_directory(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::v1: return "v1";
    case Mode::hybrid: return "hybrid";
    case Mode::v2: return "v2";
  }
  return "unknown";
}

std::vector<std::string> parse_controller_list(const std::string& text) {
  std::vector<std::string> controllers;
  for (auto& word : split_words(text::trim(text))) {
    auto trimmed = std::string(text::trim(word));
    if (!trimmed.empty()) controllers.push_back(trimmed);
  }
  return controllers;
}

Result<Layout> parse_layout(const std::string& mountinfo) {
  auto mounts = cgroup_mounts(mountinfo);
  Layout layout;
  const CgroupMount* unified = nullptr;
  for (const auto& mount : mounts) {
    if (mount.type == "cgroup2") {
      if (!unified) unified = &mount;
      continue;
    }
    for (const auto& controller : mount.controllers) layout.v1_mounts.emplace(controller, mount.mount_point);
  }
  bool has_v1_controllers =
      std::any_of(layout.v1_mounts.begin(), layout.v1_mounts.end(),
                  [](const auto& entry) { return !text::starts_with(entry.first, "name="); });
  if (!has_v1_controllers) {
    if (!unified) return unexpected(Error("no cgroup file system is mounted (see /proc/self/mountinfo)", ENOENT));
    // Pure v2. A leftover name=systemd v1 mount next to it does not make this hybrid: no limit goes through it.
    layout.mode = Mode::v2;
    layout.root = unified->mount_point;
    layout.unified_mount = unified->mount_point;
    layout.v1_mounts.clear();
    return layout;
  }
  layout.mode = unified ? Mode::hybrid : Mode::v1;
  if (unified) layout.unified_mount = unified->mount_point;
  // The directory the hierarchies are mounted in (the tmpfs at /sys/fs/cgroup).
  auto any = layout.v1_mounts.find("memory");
  if (any == layout.v1_mounts.end()) any = layout.v1_mounts.begin();
  layout.root = parent_directory(any->second);
  for (const auto& [controller, mount_point] : layout.v1_mounts)
    if (!text::starts_with(controller, "name=")) layout.controllers.push_back(controller);
  return layout;
}

Result<Layout> detect() {
  auto mountinfo = BERTH_TRY_CONTEXT(fs::read_file("/proc/self/mountinfo"), "detecting cgroup layout");
  auto layout = BERTH_TRY_CONTEXT(parse_layout(mountinfo), "detecting cgroup layout");
  if (layout.mode == Mode::v2) {
    auto path = fs::join(layout.root, "cgroup.controllers");
    auto controllers = BERTH_TRY_CONTEXT(fs::read_file(path), "detecting cgroup controllers");
    layout.controllers = parse_controller_list(controllers);
    std::sort(layout.controllers.begin(), layout.controllers.end());
  }
  return layout;
}

HostSummary summarize(const Layout& layout) {
  HostSummary summary;
  summary.mode = mode_name(layout.mode);
  summary.version = layout.mode == Mode::v2 ? 2 : 1;
  summary.controllers = layout.controllers;
  std::sort(summary.controllers.begin(), summary.controllers.end());
  return summary;
}

}  // namespace berth::cgroup
