#include "compose/go_format.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace berth::compose {

namespace {

// Shortest round-trip decimal digits of |value| and the decimal exponent of the first digit
// (value = d.ddd x 10^exponent).
struct ShortestDigits {
  std::string digits;
  int exponent = 0;
};

ShortestDigits shortest_digits(double value, int bits) {
  char buffer[64];
  std::to_chars_result result;
  if (bits == 32)
    result = std::to_chars(buffer, buffer + sizeof buffer, static_cast<float>(std::fabs(value)),
                           std::chars_format::scientific);
  else
    result = std::to_chars(buffer, buffer + sizeof buffer, std::fabs(value), std::chars_format::scientific);
  std::string_view text(buffer, static_cast<size_t>(result.ptr - buffer));
  ShortestDigits out;
  size_t e = text.find('e');
  for (char c : text.substr(0, e))
    if (c != '.') out.digits.push_back(c);
  int exponent = 0;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+' ? 1 : 0), text.data() + text.size(), exponent);
  out.exponent = exponent;
  while (out.digits.size() > 1 && out.digits.back() == '0') out.digits.pop_back();
  return out;
}

std::string exponent_form(const ShortestDigits& d, bool negative) {
  std::string out = negative ? "-" : "";
  out += d.digits[0];
  if (d.digits.size() > 1) {
    out += '.';
    out += d.digits.substr(1);
  }
  out += 'e';
  int exponent = d.exponent;
  out += exponent < 0 ? '-' : '+';
  exponent = std::abs(exponent);
  if (exponent < 10) out += '0';
  out += std::to_string(exponent);
  return out;
}

std::string fixed_form(const ShortestDigits& d, bool negative) {
  std::string out = negative ? "-" : "";
  int point = d.exponent + 1;  // digits before the decimal point
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-point), '0');
    out += d.digits;
  } else if (static_cast<size_t>(point) >= d.digits.size()) {
    out += d.digits;
    out.append(static_cast<size_t>(point) - d.digits.size(), '0');
  } else {
    out += d.digits.substr(0, static_cast<size_t>(point));
    out += '.';
    out += d.digits.substr(static_cast<size_t>(point));
  }
  return out;
}

}  // namespace

std::string go_format_float(double value, int bits) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (bits == 32) value = static_cast<float>(value);
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  ShortestDigits d = shortest_digits(value, bits);
  // strconv's %g with the shortest precision decides with a precision of 6: exponent form when the decimal exponent
  // is < -4 or >= 6 (so 1234567.0 prints as "1.234567e+06", as Go does).
  if (d.exponent < -4 || d.exponent >= 6) return exponent_form(d, value < 0);
  return fixed_form(d, value < 0);
}

std::string go_json_float(double value, int bits) {
  if (!std::isfinite(value)) return "null";
  if (bits == 32) value = static_cast<float>(value);
  if (value == 0) return "0";
  ShortestDigits d = shortest_digits(value, bits);
  double magnitude = std::fabs(value);
  bool exponent = bits == 32 ? (static_cast<float>(magnitude) < 1e-6f || static_cast<float>(magnitude) >= 1e21f)
                             : (magnitude < 1e-6 || magnitude >= 1e21);
  if (!exponent) return fixed_form(d, value < 0);
  std::string out = exponent_form(d, value < 0);
  // encoding/json cleans "e-07" to "e-7".
  size_t n = out.size();
  if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') out.erase(n - 2, 1);
  return out;
}

std::string go_duration_string(int64_t nanoseconds) {
  if (nanoseconds == 0) return "0s";
  bool negative = nanoseconds < 0;
  uint64_t u = negative ? 0 - static_cast<uint64_t>(nanoseconds) : static_cast<uint64_t>(nanoseconds);
  // Fraction of u / 10^precision without trailing zeros (and no point when it is zero).
  auto fraction = [](uint64_t value, int precision, std::string& tail) {
    std::string digits;
    bool print = false;
    for (int i = 0; i < precision; ++i) {
      int digit = static_cast<int>(value % 10);
      print = print || digit != 0;
      if (print) digits.insert(digits.begin(), static_cast<char>('0' + digit));
      value /= 10;
    }
    if (print) tail = "." + digits + tail;
    return value;
  };
  std::string out;
  if (u < 1000000000ULL) {
    std::string unit;
    int precision;
    if (u < 1000ULL) {
      precision = 0;
      unit = "ns";
    } else if (u < 1000000ULL) {
      precision = 3;
      unit = "\xC2\xB5s";  // µs, as Go prints it
    } else {
      precision = 6;
      unit = "ms";
    }
    std::string tail = unit;
    u = fraction(u, precision, tail);
    out = std::to_string(u) + tail;
  } else {
    std::string tail = "s";
    u = fraction(u, 9, tail);
    out = std::to_string(u % 60) + tail;
    u /= 60;
    if (u > 0) {
      out = std::to_string(u % 60) + "m" + out;
      u /= 60;
      if (u > 0) out = std::to_string(u) + "h" + out;
    }
  }
  return negative ? "-" + out : out;
}

std::optional<int64_t> parse_go_duration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    long double whole = 0;
    bool have_digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + (s[i] - '0');
      have_digits = true;
      ++i;
    }
    long double fraction = 0, scale = 1;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        fraction = fraction * 10 + (s[i] - '0');
        scale *= 10;
        have_digits = true;
        ++i;
      }
    }
    if (!have_digits) return std::nullopt;
    size_t unit_start = i;
    while (i < s.size() && !(s[i] >= '0' && s[i] <= '9') && s[i] != '.') ++i;
    std::string_view unit = s.substr(unit_start, i - unit_start);
    long double multiplier;
    if (unit == "ns") multiplier = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") multiplier = 1e3L;
    else if (unit == "ms") multiplier = 1e6L;
    else if (unit == "s") multiplier = 1e9L;
    else if (unit == "m") multiplier = 60e9L;
    else if (unit == "h") multiplier = 3600e9L;
    else if (unit == "d") multiplier = 86400e9L;
    else if (unit == "w") multiplier = 7 * 86400e9L;
    else return std::nullopt;  // missing or unknown unit
    total += (whole + fraction / scale) * multiplier;
    if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    s.remove_prefix(i);
  }
  int64_t value = static_cast<int64_t>(total);
  return negative ? -value : value;
}

std::optional<int64_t> parse_ram_in_bytes(std::string_view text) {
  size_t i = 0;
  auto digit = [&](size_t at) { return at < text.size() && text[at] >= '0' && text[at] <= '9'; };
  if (!digit(0)) return std::nullopt;
  while (digit(i)) ++i;
  while (i < text.size() && text[i] == '.' && digit(i + 1)) {
    ++i;
    while (digit(i)) ++i;
  }
  std::string_view number = text.substr(0, i);
  if (i < text.size() && text[i] == ' ') ++i;
  double multiplier = 1;
  if (i < text.size()) {
    switch (text[i] | 0x20) {
      case 'k': multiplier = 1024.0; ++i; break;
      case 'm': multiplier = 1024.0 * 1024; ++i; break;
      case 'g': multiplier = 1024.0 * 1024 * 1024; ++i; break;
      case 't': multiplier = 1024.0 * 1024 * 1024 * 1024; ++i; break;
      case 'p': multiplier = 1024.0 * 1024 * 1024 * 1024 * 1024; ++i; break;
      default: break;
    }
  }
  if (i < text.size() && (text[i] | 0x20) == 'i') ++i;
  if (i < text.size() && (text[i] | 0x20) == 'b') ++i;
  if (i != text.size()) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || ptr != number.data() + number.size()) return std::nullopt;
  double bytes = value * multiplier;
  if (!std::isfinite(bytes) || bytes >= 9.2e18) return std::nullopt;
  return static_cast<int64_t>(bytes);
}

namespace {

std::vector<char32_t> code_points(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    int length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + static_cast<size_t>(length) > text.size()) length = 1;
    char32_t cp = length == 1 ? c : (c & (0x7F >> length));
    for (int k = 1; k < length; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    out.push_back(cp);
    i += static_cast<size_t>(length);
  }
  return out;
}

bool is_letter(char32_t c) {
  if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  return c >= 0xC0;  // Go's unicode.IsLetter; beyond ASCII almost every code point used in keys is a letter
}
bool is_digit(char32_t c) { return c >= '0' && c <= '9'; }

}  // namespace

bool go_yaml_key_less(std::string_view a_text, std::string_view b_text) {
  std::vector<char32_t> a = code_points(a_text), b = code_points(b_text);
  bool digits = false;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] == b[i]) {
      digits = is_digit(a[i]);
      continue;
    }
    bool al = is_letter(a[i]), bl = is_letter(b[i]);
    if (al && bl) return a[i] < b[i];
    if (al || bl) return digits ? al : bl;
    int64_t an = 0, bn = 0;
    if (a[i] == '0' || b[i] == '0') {
      for (size_t j = i; j-- > 0 && is_digit(a[j]);) {
        if (a[j] != '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    size_t ai = i, bi = i;
    for (; ai < a.size() && is_digit(a[ai]); ++ai) an = an * 10 + static_cast<int64_t>(a[ai] - '0');
    for (; bi < b.size() && is_digit(b[bi]); ++bi) bn = bn * 10 + static_cast<int64_t>(b[bi] - '0');
    if (an != bn) return an < bn;
    if (ai != bi) return ai < bi;
    return a[i] < b[i];
  }
  return a.size() < b.size();
}

}  // namespace berth::compose
