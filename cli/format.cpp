#include "cli/format.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "core/text.h"

namespace berth::cli {

namespace {

// Characters on screen, not bytes: "…" is one column.
size_t display_width(const std::string& cell) {
  size_t width = 0;
  for (unsigned char c : cell)
    if ((c & 0xC0) != 0x80) ++width;
  return width;
}

}  // namespace

std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  for (size_t i = 0; i < header.size(); ++i) widths[i] = display_width(header[i]);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(widths[i] - display_width(cells[i]) + 3, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& row : rows) out += line(row);
  return out;
}

FormatKind classify_format(const std::string& format) {
  if (format.empty() || format == "table") return FormatKind::table;
  if (format == "json" || format == "{{json .}}") return FormatKind::json;
  return FormatKind::go_template;
}

namespace {

std::string unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      if (text[i + 1] == 't') { out += '\t'; ++i; continue; }
      if (text[i + 1] == 'n') { out += '\n'; ++i; continue; }
    }
    out += text[i];
  }
  return out;
}

std::string render_value(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "<nil>";
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_number_unsigned()) return std::to_string(value.get<uint64_t>());
  if (value.is_number_float()) return fmt::format("{}", value.get<double>());
  if (value.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < value.size(); ++i) out += (i ? " " : "") + render_value(value[i]);
    return out + "]";
  }
  std::string out = "map[";
  bool first = true;
  for (auto it = value.begin(); it != value.end(); ++it) {
    out += (first ? "" : " ") + it.key() + ":" + render_value(it.value());
    first = false;
  }
  return out + "]";
}

}  // namespace

Result<std::string> render_template(const std::string& format_in, const std::string& json_document) {
  std::string format = format_in;
  if (text::starts_with(format, "table ")) format = format.substr(6);
  format = unescape(format);
  auto document = nlohmann::json::parse(json_document, nullptr, false);
  if (document.is_discarded()) return unexpected(Error("template: the object to format is not JSON"));
  std::string out;
  size_t position = 0;
  while (position < format.size()) {
    size_t open = format.find("{{", position);
    if (open == std::string::npos) {
      out += format.substr(position);
      break;
    }
    out += format.substr(position, open - position);
    size_t close = format.find("}}", open);
    if (close == std::string::npos) return unexpected(Error(fmt::format("template: unclosed action in \"{}\"", format_in)));
    std::string action(text::trim(std::string_view(format).substr(open + 2, close - open - 2)));
    position = close + 2;
    bool as_json = false;
    if (text::starts_with(action, "json ")) {
      as_json = true;
      action = std::string(text::trim(std::string_view(action).substr(5)));
    }
    if (auto pipe = action.find('|'); pipe != std::string::npos) {
      std::string function(text::trim(std::string_view(action).substr(pipe + 1)));
      action = std::string(text::trim(std::string_view(action).substr(0, pipe)));
      if (function == "json") as_json = true;
      else return unexpected(Error(fmt::format("template: function \"{}\" not defined", function)));
    }
    if (action.empty() || action[0] != '.')
      return unexpected(Error(fmt::format("template: can't evaluate \"{}\"", action)));
    const nlohmann::json* current = &document;
    bool missing = false;
    if (action != ".") {
      for (const auto& part : text::split(std::string_view(action).substr(1), '.')) {
        if (!current->is_object() || !current->contains(part)) {
          missing = true;
          break;
        }
        current = &(*current)[part];
      }
    }
    if (missing) out += as_json ? "null" : "<no value>";
    else out += as_json ? current->dump() : render_value(*current);
  }
  return out;
}

std::string template_header(const std::string& format) {
  std::string body = format;
  if (text::starts_with(body, "table ")) body = body.substr(6);
  body = unescape(body);
  std::string out;
  size_t position = 0;
  while (position < body.size()) {
    size_t open = body.find("{{", position);
    if (open == std::string::npos) {
      out += body.substr(position);
      break;
    }
    out += body.substr(position, open - position);
    size_t close = body.find("}}", open);
    if (close == std::string::npos) break;
    std::string field(text::trim(std::string_view(body).substr(open + 2, close - open - 2)));
    if (!field.empty() && field[0] == '.') field = field.substr(1);
    // "RunningFor" -> "RUNNING FOR", "ID" -> "CONTAINER ID" as Docker's ps
    std::string header;
    if (field == "ID") header = "CONTAINER ID";
    else {
      for (size_t i = 0; i < field.size(); ++i) {
        char c = field[i];
        if (i > 0 && std::isupper(static_cast<unsigned char>(c)) && std::islower(static_cast<unsigned char>(field[i - 1])))
          header += ' ';
        header += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
    }
    out += header;
    position = close + 2;
  }
  return out;
}

}  // namespace berth::cli
