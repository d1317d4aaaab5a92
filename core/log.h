// The logging front end. spdlog stays in log.cpp; this header costs only fmt/core.h.
#pragma once

#include <fmt/core.h>

#include <string_view>
#include <utility>

namespace berth::log {

enum class Level { trace = 0, debug, info, warn, error, off };

void set_level(Level level);
Level level();
// Parses "trace|debug|info|warn|error|off"; false if unknown.
bool parse_level(std::string_view text, Level& level);
void write(Level level, std::string_view message);

template <class... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  if (level() <= Level::debug) write(Level::debug, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  if (level() <= Level::info) write(Level::info, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  if (level() <= Level::warn) write(Level::warn, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  if (level() <= Level::error) write(Level::error, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace berth::log
