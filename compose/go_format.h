// The textual conventions of the reference implementation (Go's fmt, strconv, time and encoding/json, go-yaml's map
// key order, docker/go-units' sizes), so that what berth prints and accepts reads exactly as Docker Compose's does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::compose {

// strconv.FormatFloat(value, 'g', -1, bits): shortest digits, exponent form below 1e-4 and from 1e6 up
// ("1e+06", "0.0001", "1.5"). This is also what fmt.Sprint prints for a float. bits is 32 or 64.
std::string go_format_float(double value, int bits = 64);
// encoding/json's float form: plain decimal unless below 1e-6 or from 1e21 up ("1e-7").
std::string go_json_float(double value, int bits = 64);

// time.Duration.String(): "1m30s", "2m0s", "1h0m0s", "500ms", "1.5s", "0s".
std::string go_duration_string(int64_t nanoseconds);
// time.ParseDuration extended with "d" and "w" as Compose accepts ("1m30s", "1.5h", "2d", "0"); nullopt when
// malformed or out of range.
std::optional<int64_t> parse_go_duration(std::string_view text);

// docker/go-units RAMInBytes: "512m", "1g", "50M", "1.5GiB", "100 kb", "10000" (1024-based); nullopt when
// malformed.
std::optional<int64_t> parse_ram_in_bytes(std::string_view text);

// go-yaml's order for string map keys: code points, except that runs of digits compare as numbers ("a9" < "a10")
// and a letter sorts after a non-letter unless a digit precedes them.
bool go_yaml_key_less(std::string_view a, std::string_view b);

}  // namespace berth::compose
