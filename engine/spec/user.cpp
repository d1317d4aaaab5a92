// User resolution against the image's /etc/passwd and /etc/group, with the rules of runc's
// libcontainer/user GetExecUser (which Docker uses).
#include <algorithm>
#include <charconv>

#include "core/text.h"
#include "engine/spec/spec.h"

namespace berth::spec {
namespace {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0, gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

// Ids are 0..2^31-1, as runc accepts.
std::optional<uint32_t> parse_id(std::string_view text) {
  uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > 0x7fffffffU)
    return std::nullopt;
  return value;
}

// Non-empty, non-comment lines, split at ':'.
std::vector<std::vector<std::string>> records(std::string_view content) {
  std::vector<std::vector<std::string>> result;
  for (const auto& raw_line : text::split(content, '\n')) {
    std::string_view line = text::trim(raw_line);
    if (line.empty() || line.front() == '#') continue;
    result.push_back(text::split(line, ':'));
  }
  return result;
}

// name:password:uid:gid:gecos:home:shell. Lines with a non-numeric uid or gid are skipped, not read as 0 (root).
std::vector<PasswdEntry> parse_passwd(std::string_view content) {
  std::vector<PasswdEntry> entries;
  for (const auto& fields : records(content)) {
    if (fields.size() < 4) continue;
    auto uid = parse_id(fields[2]);
    auto gid = parse_id(fields[3]);
    if (!uid || !gid) continue;
    entries.push_back({fields[0], *uid, *gid, fields.size() > 5 ? fields[5] : ""});
  }
  return entries;
}

// name:password:gid:member,member
std::vector<GroupEntry> parse_group(std::string_view content) {
  std::vector<GroupEntry> entries;
  for (const auto& fields : records(content)) {
    if (fields.size() < 3) continue;
    auto gid = parse_id(fields[2]);
    if (!gid) continue;
    GroupEntry entry{fields[0], *gid, {}};
    if (fields.size() > 3 && !fields[3].empty())
      for (const auto& member : text::split(fields[3], ','))
        if (auto trimmed = text::trim(member); !trimmed.empty()) entry.members.emplace_back(trimmed);
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace

Result<ResolvedUser> resolve_user(std::string_view user_spec, std::string_view passwd_content,
                                  std::string_view group_content) {
  user_spec = text::trim(user_spec);
  std::string_view user_part = user_spec;
  std::string_view group_part;
  if (auto colon = user_spec.find(':'); colon != std::string_view::npos) {
    user_part = user_spec.substr(0, colon);
    group_part = user_spec.substr(colon + 1);
  }
  auto numeric_uid = parse_id(user_part);
  auto numeric_gid = parse_id(group_part);

  ResolvedUser resolved;
  const auto users = parse_passwd(passwd_content);
  // First match wins. An empty user part means root (uid 0); a numeric one is always a uid, never a name.
  auto matched = std::find_if(users.begin(), users.end(), [&](const PasswdEntry& entry) {
    if (user_part.empty()) return entry.uid == 0;
    if (numeric_uid) return entry.uid == *numeric_uid;
    return entry.name == user_part;
  });
  std::string matched_name;
  if (matched != users.end()) {
    matched_name = matched->name;
    resolved.uid = matched->uid;
    resolved.gid = matched->gid;
    resolved.home = matched->home;
  } else if (!user_part.empty()) {
    if (!numeric_uid) {
      // A numeric-looking but out-of-range id is reported as a range error, like runc.
      bool digits = std::all_of(user_part.begin(), user_part.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (digits) return unexpected(Error("user id " + std::string(user_part) + " is out of range"));
      return unexpected(
          Error("unable to find user " + std::string(user_part) + ": no matching entries in passwd file"));
    }
    resolved.uid = *numeric_uid;  // a uid with no passwd entry: fine, gid stays 0 unless given
  }

  std::vector<uint32_t> supplementary;
  if (!group_part.empty() || !matched_name.empty()) {
    const auto groups = parse_group(group_content);
    if (!group_part.empty()) {
      // An explicit group sets the primary gid and no supplementary groups.
      auto group = std::find_if(groups.begin(), groups.end(), [&](const GroupEntry& entry) {
        return numeric_gid ? entry.gid == *numeric_gid : entry.name == group_part;
      });
      if (group != groups.end()) {
        resolved.gid = group->gid;
      } else if (numeric_gid) {
        resolved.gid = *numeric_gid;
      } else {
        return unexpected(
            Error("unable to find group " + std::string(group_part) + ": no matching entries in group file"));
      }
    } else {
      for (const auto& group : groups)
        if (std::find(group.members.begin(), group.members.end(), matched_name) != group.members.end())
          supplementary.push_back(group.gid);
    }
  }

  // Docker passes the primary gid first, then the supplementary groups.
  resolved.additional_gids.push_back(resolved.gid);
  for (uint32_t gid : supplementary)
    if (std::find(resolved.additional_gids.begin(), resolved.additional_gids.end(), gid) ==
        resolved.additional_gids.end())
      resolved.additional_gids.push_back(gid);
  return resolved;
}

}  // namespace berth::spec
