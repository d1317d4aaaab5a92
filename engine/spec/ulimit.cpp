// `--ulimit name=soft[:hard]`, as Docker's go-units ParseUlimit.
#include <algorithm>
#include <array>
#include <charconv>

#include "core/text.h"
#include "engine/spec/parts.h"
#include "engine/spec/spec.h"

namespace berth::spec {
namespace {

constexpr std::array<std::string_view, 15> kUlimitNames = {
    "core",   "cpu",   "data",   "fsize",  "locks",  "memlock",    "msgqueue", "nice",
    "nofile", "nproc", "rss",    "rtprio", "rttime", "sigpending", "stack",
};

Result<int64_t> parse_limit(std::string_view text, std::string_view whole) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < -1)
    return unexpected(Error("invalid ulimit value \"" + std::string(text) + "\" in " + std::string(whole)));
  return value;
}

// -1 is RLIM_INFINITY, larger than any number.
bool exceeds(int64_t soft, int64_t hard) {
  if (hard == -1) return false;
  return soft == -1 || soft > hard;
}

}  // namespace

Result<Ulimit> parse_ulimit(std::string_view text) {
  auto equals = text.find('=');
  if (equals == std::string_view::npos) return unexpected(Error("invalid ulimit argument: " + std::string(text)));
  std::string_view name = text.substr(0, equals);
  std::string_view values = text.substr(equals + 1);
  bool known = false;
  for (auto candidate : kUlimitNames) known = known || candidate == name;
  if (!known) return unexpected(Error("invalid ulimit type: " + std::string(name)));

  auto parts = text::split(values, ':');
  if (parts.size() > 2)
    return unexpected(Error("too many limit value arguments - " + std::string(values) +
                            ", can only have up to two, `soft[:hard]`"));
  Ulimit limit;
  limit.name = std::string(name);
  limit.soft = BERTH_TRY(parse_limit(parts[0], text));
  limit.hard = parts.size() == 2 ? BERTH_TRY(parse_limit(parts[1], text)) : limit.soft;
  if (exceeds(limit.soft, limit.hard))
    return unexpected(Error("ulimit soft limit must be less than or equal to hard limit: " +
                            std::to_string(limit.soft) + " > " + std::to_string(limit.hard)));
  return limit;
}

namespace detail {

// Docker emits no rlimits unless asked, so containers inherit the daemon's. Docker 25+ no longer raises
// LimitNOFILE in docker.service/containerd.service (moby#45534), so what containers observe on a systemd host is
// systemd's default, soft 1024 / hard 524288. berth has no daemon: inheriting would hand containers whatever the
// shell that ran `berth` had (often a soft limit of 1M, which makes programs that close every fd crawl). So when
// the engine tells us its own hard limit, the spec states Docker's value, capped at that hard limit: raising a
// hard limit needs CAP_SYS_RESOURCE, which berth may not have, and then every container would fail to start.
// Without it, nothing is emitted and the limit is inherited, as in Docker. Other limits are always inherited.
std::vector<Ulimit> effective_ulimits(const RunOptions& options, std::optional<int64_t> inherited_nofile_hard) {
  std::vector<Ulimit> limits;
  for (const auto& limit : options.ulimits) {
    auto same = std::find_if(limits.begin(), limits.end(), [&](const Ulimit& l) { return l.name == limit.name; });
    if (same != limits.end())
      *same = limit;
    else
      limits.push_back(limit);
  }
  bool has_nofile = std::any_of(limits.begin(), limits.end(), [](const Ulimit& l) { return l.name == "nofile"; });
  if (!has_nofile && inherited_nofile_hard) {
    const int64_t ceiling = *inherited_nofile_hard;  // -1: unlimited
    auto capped = [&](int64_t docker_value) { return ceiling < 0 ? docker_value : std::min(docker_value, ceiling); };
    limits.push_back(Ulimit{"nofile", capped(kDefaultNofileSoft), capped(kDefaultNofileHard)});
  }
  return limits;
}

}  // namespace detail
}  // namespace berth::spec
