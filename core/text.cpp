#include "core/text.h"

#include <sys/random.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <fmt/core.h>

namespace berth::text {

std::string random_hex_id() {
  unsigned char bytes[32];
  size_t filled = 0;
  while (filled < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + filled, sizeof bytes - filled, 0);
    if (n > 0) filled += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(64);
  for (unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 0xf]);
  }
  return id;
}

timespec now_realtime() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return now;
}

std::string rfc3339_nano(const timespec& time) {
  struct tm utc {};
  gmtime_r(&time.tv_sec, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, time.tv_nsec);
}

std::string now_rfc3339_nano() { return rfc3339_nano(now_realtime()); }

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.emplace_back(text.substr(start));
      return parts;
    }
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }
bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::optional<int64_t> parse_byte_size(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  std::string lowered;
  for (char c : text) lowered.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::string_view rest = lowered;
  if (rest.size() > 1 && rest.back() == 'b' && !std::isdigit(static_cast<unsigned char>(rest[rest.size() - 2])))
    rest.remove_suffix(1);  // "512mb" -> "512m"
  else if (rest.size() > 1 && rest.back() == 'b')
    rest.remove_suffix(1);  // "1024b"
  double multiplier = 1;
  if (!rest.empty()) {
    switch (rest.back()) {
      case 'k': multiplier = 1024.0; break;
      case 'm': multiplier = 1024.0 * 1024; break;
      case 'g': multiplier = 1024.0 * 1024 * 1024; break;
      case 't': multiplier = 1024.0 * 1024 * 1024 * 1024; break;
      case 'p': multiplier = 1024.0 * 1024 * 1024 * 1024 * 1024; break;
      default: break;
    }
    if (multiplier != 1) rest.remove_suffix(1);
  }
  if (rest.empty()) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || ptr != rest.data() + rest.size() || value < 0 || !std::isfinite(value))
    return std::nullopt;
  double bytes = value * multiplier;
  if (bytes > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(bytes);
}

std::optional<int64_t> parse_nano_cpus(std::string_view text) {
  text = trim(text);
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < 0 || !std::isfinite(value) ||
      value > 1e6)
    return std::nullopt;
  return static_cast<int64_t>(std::llround(value * 1e9));
}

std::string human_duration(int64_t seconds) {
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return fmt::format("{} seconds", seconds);
  int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return fmt::format("{} minutes", minutes);
  int64_t hours = static_cast<int64_t>(std::llround(static_cast<double>(seconds) / 3600));
  if (hours == 1) return "About an hour";
  if (hours < 48) return fmt::format("{} hours", hours);
  if (hours < 24 * 7 * 2) return fmt::format("{} days", hours / 24);
  if (hours < 24 * 30 * 2) return fmt::format("{} weeks", hours / 24 / 7);
  if (hours < 24 * 365 * 2) return fmt::format("{} months", hours / 24 / 30);
  return fmt::format("{} years", hours / 24 / 365);
}

std::string human_size(uint64_t bytes) {
  // Docker prints decimal units with 3 significant digits ("1.23MB", "5.6kB").
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000 && unit < 5) {
    value /= 1000;
    ++unit;
  }
  if (unit == 0) return fmt::format("{}B", bytes);
  std::string number = fmt::format("{:.3g}", value);
  return number + kUnits[unit];
}

}  // namespace berth::text
