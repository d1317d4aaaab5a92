#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>

namespace berth::log {
namespace {

std::atomic<Level> current_level{Level::warn};

spdlog::logger& logger() {
  // Created on first use: commands that log nothing never pay for it.
  static auto instance = [] {
    auto created = spdlog::stderr_logger_st("berth");
    created->set_pattern("%^%l%$: %v");
    created->set_level(spdlog::level::trace);
    return created;
  }();
  return *instance;
}

}  // namespace

void set_level(Level level) { current_level = level; }
Level level() { return current_level; }

bool parse_level(std::string_view text, Level& level) {
  static constexpr std::pair<std::string_view, Level> kNames[] = {
      {"trace", Level::trace}, {"debug", Level::debug}, {"info", Level::info},
      {"warn", Level::warn},   {"warning", Level::warn}, {"error", Level::error}, {"off", Level::off}};
  for (auto [name, value] : kNames) {
    if (text == name) {
      level = value;
      return true;
    }
  }
  return false;
}

void write(Level level, std::string_view message) {
  if (level < current_level.load()) return;
  logger().log(static_cast<spdlog::level::level_enum>(static_cast<int>(level)), "{}", message);
}

}  // namespace berth::log
