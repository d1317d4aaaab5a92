// A small document tree and its YAML and JSON writers, in the style the reference prints them (go-yaml with
// two-space indentation; encoding/json's MarshalIndent): block YAML, scalars quoted only when they would read
// back as something else, literal blocks for multi-line text, HTML-safe JSON escapes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace berth::compose {

struct OutEntry;

struct OutValue {
  enum class Kind : uint8_t { null, boolean, integer, number, string, list, map };
  Kind kind = Kind::null;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  int float_bits = 64;  // 32 for Go float32 fields
  std::string string;
  std::vector<OutValue> items;
  std::vector<OutEntry> entries;
  bool sorted = false;  // a Go map: keys sorted when written (structs keep their field order)

  static OutValue null();
  static OutValue of(bool value);
  static OutValue of(int64_t value);
  static OutValue of(double value, int bits = 64);
  static OutValue of(std::string value);
  static OutValue list();
  static OutValue map(bool sorted);

  OutValue& add(std::string key, OutValue value);
};

struct OutEntry {
  std::string key;
  OutValue value;
};

inline OutValue OutValue::null() { return {}; }

inline OutValue& OutValue::add(std::string key, OutValue value) {
  entries.push_back(OutEntry{std::move(key), std::move(value)});
  return entries.back().value;
}

std::string write_yaml(const OutValue& document);
std::string write_json(const OutValue& document);

}  // namespace berth::compose
