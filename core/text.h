// Small text helpers shared by every layer: random ids, timestamps, splitting, trimming, byte sizes.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::text {

// 64 lowercase hex digits from getrandom(2), as Docker's container ids.
std::string random_hex_id();
// First 12 characters, as `docker ps` shows.
inline std::string short_id(std::string_view id) { return std::string(id.substr(0, 12)); }

// RFC 3339 with nanoseconds in UTC ("2026-11-24T15:22:28.123456789Z"), Docker's timestamp format.
std::string rfc3339_nano(const timespec& time);
std::string now_rfc3339_nano();
timespec now_realtime();

std::vector<std::string> split(std::string_view text, char separator);
std::string_view trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);

// "512m", "1g", "100k", "1024", "1.5g" (case-insensitive, optional trailing "b") into bytes, as Docker's
// --memory; nullopt when malformed.
std::optional<int64_t> parse_byte_size(std::string_view text);
// "1.5" CPUs into nano-CPUs; nullopt when malformed or negative.
std::optional<int64_t> parse_nano_cpus(std::string_view text);

// "3 seconds ago", "About a minute ago": Docker's human durations.
std::string human_duration(int64_t seconds);
std::string human_size(uint64_t bytes);

}  // namespace berth::text
