// Go's textual conventions, which `config` output and compose values follow.
#include <catch2/catch.hpp>

#include "compose/go_format.h"

using namespace berth::compose;

TEST_CASE("go format: floats as strconv 'g' prints them", "[compose][go]") {
  CHECK(go_format_float(1.5) == "1.5");
  CHECK(go_format_float(1.0) == "1");
  CHECK(go_format_float(0.0001) == "0.0001");
  CHECK(go_format_float(0.00001) == "1e-05");
  CHECK(go_format_float(123456) == "123456");
  CHECK(go_format_float(1234567) == "1.234567e+06");
  CHECK(go_format_float(-2.25) == "-2.25");
  CHECK(go_format_float(0.001, 32) == "0.001");
  CHECK(go_format_float(0.3, 32) == "0.3");
}

TEST_CASE("go format: floats as encoding/json prints them", "[compose][go]") {
  CHECK(go_json_float(0.001, 32) == "0.001");
  CHECK(go_json_float(1234567) == "1234567");
  CHECK(go_json_float(1e-7) == "1e-7");
  CHECK(go_json_float(1e21) == "1e+21");
}

TEST_CASE("go format: durations print as time.Duration does", "[compose][go]") {
  CHECK(go_duration_string(0) == "0s");
  CHECK(go_duration_string(90'000'000'000LL) == "1m30s");
  CHECK(go_duration_string(120'000'000'000LL) == "2m0s");
  CHECK(go_duration_string(3600'000'000'000LL) == "1h0m0s");
  CHECK(go_duration_string(1'500'000'000LL) == "1.5s");
  CHECK(go_duration_string(500'000'000LL) == "500ms");
  CHECK(go_duration_string(1500) == "1.5\xC2\xB5s");
  CHECK(go_duration_string(42) == "42ns");
}

TEST_CASE("go format: durations parse with Compose's units", "[compose][go]") {
  CHECK(parse_go_duration("1m30s") == 90'000'000'000LL);
  CHECK(parse_go_duration("10s") == 10'000'000'000LL);
  CHECK(parse_go_duration("1.5h") == 5400'000'000'000LL);
  CHECK(parse_go_duration("2d") == 172800'000'000'000LL);
  CHECK(parse_go_duration("1w") == 604800'000'000'000LL);
  CHECK(parse_go_duration("250ms") == 250'000'000LL);
  CHECK(parse_go_duration("0") == 0);
  CHECK_FALSE(parse_go_duration("10"));
  CHECK_FALSE(parse_go_duration("10x"));
  CHECK_FALSE(parse_go_duration(""));
  CHECK_FALSE(parse_go_duration("99999999999h"));
}

TEST_CASE("go format: byte sizes as go-units reads them", "[compose][go]") {
  CHECK(parse_ram_in_bytes("512m") == 512LL * 1024 * 1024);
  CHECK(parse_ram_in_bytes("50M") == 50LL * 1024 * 1024);
  CHECK(parse_ram_in_bytes("1g") == 1024LL * 1024 * 1024);
  CHECK(parse_ram_in_bytes("1.5GiB") == 1536LL * 1024 * 1024);
  CHECK(parse_ram_in_bytes("100 kb") == 102400);
  CHECK(parse_ram_in_bytes("10000") == 10000);
  CHECK(parse_ram_in_bytes("1kb") == 1024);
  CHECK_FALSE(parse_ram_in_bytes("12q"));
  CHECK_FALSE(parse_ram_in_bytes("-1"));
  CHECK_FALSE(parse_ram_in_bytes("m"));
}

TEST_CASE("go format: map keys sort as go-yaml sorts them", "[compose][go]") {
  CHECK(go_yaml_key_less("a9", "a10"));
  CHECK(go_yaml_key_less("BAR", "BAZ"));
  CHECK(go_yaml_key_less("ENV.WITH.DOT", "ENV_WITH_UNDERSCORE"));
  CHECK(go_yaml_key_less("QUX", "com.example"));
  CHECK_FALSE(go_yaml_key_less("b", "a"));
  CHECK(go_yaml_key_less("a", "ab"));
}
