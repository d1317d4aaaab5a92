#include "engine/image/config_changes.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "core/text.h"

namespace berth::image {
namespace {

constexpr std::string_view kAllowedInstructions =
    "CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

std::string to_upper(std::string_view text) {
  std::string upper(text);
  for (auto& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return upper;
}

std::string lookup_env(const std::vector<std::string>& env, std::string_view name) {
  for (auto it = env.rbegin(); it != env.rend(); ++it) {
    if (it->size() > name.size() && it->compare(0, name.size(), name) == 0 && (*it)[name.size()] == '=')
      return it->substr(name.size() + 1);
    if (*it == name) return "";
  }
  return "";
}

bool env_has(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& entry : env)
    if (entry == name || (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
                          entry[name.size()] == '='))
      return true;
  return false;
}

// Expands one "$NAME" or "${NAME...}" starting at text[i] == '$'; advances i past it.
Result<std::string> expand_variable(std::string_view text, size_t& i, const std::vector<std::string>& env) {
  ++i;  // '$'
  if (i < text.size() && text[i] == '{') {
    size_t close = std::string_view::npos;
    int depth = 0;
    for (size_t j = i + 1; j < text.size(); ++j) {
      if (text[j] == '{') ++depth;
      if (text[j] == '}') {
        if (depth == 0) {
          close = j;
          break;
        }
        --depth;
      }
    }
    if (close == std::string_view::npos) return unexpected(Error("missing '}' in variable expansion"));
    std::string_view inner = text.substr(i + 1, close - i - 1);
    i = close + 1;
    size_t name_end = 0;
    while (name_end < inner.size() && is_name_char(inner[name_end])) ++name_end;
    std::string_view name = inner.substr(0, name_end);
    if (name.empty() || !is_name_start(name.front()))
      return unexpected(Error(fmt::format("bad substitution ${{{}}}", inner)));
    std::string_view modifier = inner.substr(name_end);
    std::string value = lookup_env(env, name);
    if (modifier.empty()) return value;
    bool colon = modifier.front() == ':';
    if (colon) modifier.remove_prefix(1);
    if (modifier.empty() || (modifier.front() != '-' && modifier.front() != '+'))
      return unexpected(Error(fmt::format("unsupported modifier in ${{{}}}", inner)));
    char op = modifier.front();
    auto word = BERTH_TRY(expand_dockerfile_word(modifier.substr(1), env));
    bool set = colon ? !value.empty() : env_has(env, name);
    if (op == '-') return set ? value : word;
    return set ? word : std::string();
  }
  size_t start = i;
  while (i < text.size() && is_name_char(text[i])) ++i;
  if (i == start || !is_name_start(text[start])) return std::string("$");  // a lone '$' is literal
  return lookup_env(env, text.substr(start, i - start));
}

// Splits on unquoted whitespace, keeping quotes and escapes for expand_dockerfile_word.
Result<std::vector<std::string>> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote == 0 && is_space(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    word += c;
    if (c == '\\' && quote != '\'' && i + 1 < text.size()) {
      word += text[++i];
    } else if (quote == 0 && (c == '"' || c == '\'')) {
      quote = c;
    } else if (c == quote) {
      quote = 0;
    }
  }
  if (quote != 0) return unexpected(Error(fmt::format("unterminated {} quote", quote == '"' ? "double" : "single")));
  if (in_word) words.push_back(std::move(word));
  return words;
}

// `["a","b"]` as a list of strings, or nullopt when the text is not such a JSON array (then Docker takes the
// shell form).
std::optional<std::vector<std::string>> parse_json_string_array(std::string_view text) {
  if (text.empty() || text.front() != '[') return std::nullopt;
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array()) return std::nullopt;
  std::vector<std::string> items;
  for (const auto& item : parsed) {
    if (!item.is_string()) return std::nullopt;
    items.push_back(item.get<std::string>());
  }
  return items;
}

std::vector<std::string> command_form(std::string_view arguments) {
  if (auto exec_form = parse_json_string_array(arguments)) return *exec_form;
  return {"/bin/sh", "-c", std::string(arguments)};
}

// "k=v k2=v2" or the legacy "k v w" (one key, the rest is its value), each side expanded.
Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(std::string_view arguments,
                                                                           std::string_view instruction,
                                                                           const std::vector<std::string>& env) {
  std::vector<std::pair<std::string, std::string>> pairs;
  auto words = BERTH_TRY(split_words(arguments));
  if (words.empty()) return unexpected(Error(fmt::format("{} requires at least one argument", instruction)));
  if (words.front().find('=') == std::string::npos) {
    size_t key_end = 0;
    while (key_end < arguments.size() && !is_space(arguments[key_end])) ++key_end;
    std::string_view value = text::trim(arguments.substr(key_end));
    if (value.empty()) return unexpected(Error(fmt::format("{} must have two arguments", instruction)));
    auto key = BERTH_TRY(expand_dockerfile_word(arguments.substr(0, key_end), env));
    pairs.emplace_back(std::move(key), BERTH_TRY(expand_dockerfile_word(value, env)));
    return pairs;
  }
  for (const auto& word : words) {
    size_t equals = word.find('=');
    if (equals == std::string::npos)
      return unexpected(Error(fmt::format(
          "syntax error - can't find = in \"{}\"; must be of the form: name=value", word)));
    auto key = BERTH_TRY(expand_dockerfile_word(std::string_view(word).substr(0, equals), env));
    if (key.empty()) return unexpected(Error(fmt::format("{} names can not be blank", instruction)));
    pairs.emplace_back(std::move(key), BERTH_TRY(expand_dockerfile_word(std::string_view(word).substr(equals + 1), env)));
  }
  return pairs;
}

Result<std::vector<std::string>> expand_words(std::string_view arguments, const std::vector<std::string>& env) {
  std::vector<std::string> expanded;
  for (const auto& word : BERTH_TRY(split_words(arguments))) expanded.push_back(BERTH_TRY(expand_dockerfile_word(word, env)));
  return expanded;
}

Result<uint32_t> parse_port_number(std::string_view text) {
  if (text.empty() || text.size() > 5) return unexpected(Error(fmt::format("invalid port \"{}\"", text)));
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return unexpected(Error(fmt::format("invalid port \"{}\"", text)));
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) return unexpected(Error(fmt::format("invalid port \"{}\"", text)));
  return value;
}

// "80", "80/udp", "8000-8002/tcp" into ["80/tcp"], ...
Result<std::vector<std::string>> parse_exposed_port(std::string_view spec) {
  std::string_view ports = spec;
  std::string protocol = "tcp";
  if (size_t slash = spec.find('/'); slash != std::string_view::npos) {
    ports = spec.substr(0, slash);
    std::string given(spec.substr(slash + 1));
    for (auto& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (given != "tcp" && given != "udp" && given != "sctp")
      return unexpected(Error(fmt::format("invalid proto \"{}\" in \"{}\"", given, spec)));
    protocol = given;
  }
  uint32_t first = 0, last = 0;
  if (size_t dash = ports.find('-'); dash != std::string_view::npos) {
    first = BERTH_TRY(parse_port_number(ports.substr(0, dash)));
    last = BERTH_TRY(parse_port_number(ports.substr(dash + 1)));
    if (last < first) return unexpected(Error(fmt::format("invalid port range \"{}\"", ports)));
  } else {
    first = last = BERTH_TRY(parse_port_number(ports));
  }
  std::vector<std::string> result;
  for (uint32_t port = first; port <= last; ++port) result.push_back(fmt::format("{}/{}", port, protocol));
  return result;
}

bool is_known_signal(std::string_view raw) {
  if (raw.empty()) return false;
  if (std::all_of(raw.begin(), raw.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (raw.size() > 2) return false;
    int number = std::stoi(std::string(raw));
    return number >= 1 && number <= 64;
  }
  std::string name = to_upper(raw);
  if (name.starts_with("SIG")) name.erase(0, 3);
  static constexpr std::array<std::string_view, 35> kNames = {
      "ABRT", "ALRM", "BUS",  "CHLD", "CLD",  "CONT", "FPE",    "HUP",   "ILL",  "INT",    "IO",   "IOT",
      "KILL", "PIPE", "POLL", "PROF", "PWR",  "QUIT", "SEGV",   "STKFLT", "STOP", "SYS",    "TERM", "TRAP",
      "TSTP", "TTIN", "TTOU", "URG",  "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",   "RTMIN"};
  if (std::find(kNames.begin(), kNames.end(), name) != kNames.end()) return true;
  for (std::string_view base : {"RTMIN+", "RTMAX-"}) {
    if (name.starts_with(base)) {
      std::string_view offset = std::string_view(name).substr(base.size());
      return !offset.empty() && offset.size() <= 2 &&
             std::all_of(offset.begin(), offset.end(), [](char c) { return c >= '0' && c <= '9'; });
    }
  }
  return name == "RTMAX";
}

// Lexical clean of an absolute path, as Go's path.Clean.
std::string clean_absolute_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = slash + 1;
  }
  std::string cleaned;
  for (auto part : parts) {
    cleaned += '/';
    cleaned += part;
  }
  return cleaned.empty() ? "/" : cleaned;
}

void set_env(std::vector<std::string>& env, const std::string& key, const std::string& value) {
  std::string entry = key + "=" + value;
  for (auto& existing : env) {
    if (existing == key || (existing.size() > key.size() && existing.compare(0, key.size(), key) == 0 &&
                            existing[key.size()] == '=')) {
      existing = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

struct ChangeState {
  bool cmd_set = false;  // a CMD earlier in this change list survives a later ENTRYPOINT
};

Result<void> apply_one_change(ImageConfig& config, std::string_view change, ChangeState& state) {
  std::string_view line = text::trim(change);
  size_t name_end = 0;
  while (name_end < line.size() && !is_space(line[name_end])) ++name_end;
  std::string instruction = to_upper(line.substr(0, name_end));
  std::string_view arguments = text::trim(line.substr(name_end));
  if (instruction.empty()) return unexpected(Error("empty instruction"));
  auto require_arguments = [&]() -> Result<void> {
    if (arguments.empty()) return unexpected(Error(fmt::format("{} requires at least one argument", instruction)));
    return {};
  };

  if (instruction == "CMD") {
    BERTH_TRY(require_arguments());
    config.cmd = command_form(arguments);
    state.cmd_set = true;
  } else if (instruction == "ENTRYPOINT") {
    BERTH_TRY(require_arguments());
    config.entrypoint = command_form(arguments);
    if (!state.cmd_set) config.cmd.reset();
  } else if (instruction == "ENV") {
    auto pairs = BERTH_TRY(parse_key_values(arguments, instruction, config.env));
    for (auto& [key, value] : pairs) set_env(config.env, key, value);
  } else if (instruction == "LABEL") {
    auto pairs = BERTH_TRY(parse_key_values(arguments, instruction, config.env));
    for (auto& [key, value] : pairs) config.labels[key] = value;
  } else if (instruction == "WORKDIR") {
    BERTH_TRY(require_arguments());
    auto directory = BERTH_TRY(expand_dockerfile_word(arguments, config.env));
    if (directory.empty()) return unexpected(Error("WORKDIR requires a path"));
    if (directory.front() != '/') directory = (config.working_dir.empty() ? "/" : config.working_dir) + "/" + directory;
    config.working_dir = clean_absolute_path(directory);
  } else if (instruction == "USER") {
    BERTH_TRY(require_arguments());
    auto user = BERTH_TRY(expand_dockerfile_word(arguments, config.env));
    if (user.empty()) return unexpected(Error("USER requires a user name"));
    config.user = std::move(user);
  } else if (instruction == "EXPOSE") {
    BERTH_TRY(require_arguments());
    std::set<std::string> ports(config.exposed_ports.begin(), config.exposed_ports.end());
    for (const auto& spec : BERTH_TRY(expand_words(arguments, config.env)))
      for (auto& port : BERTH_TRY(parse_exposed_port(spec))) ports.insert(std::move(port));
    config.exposed_ports.assign(ports.begin(), ports.end());
  } else if (instruction == "VOLUME") {
    BERTH_TRY(require_arguments());
    std::vector<std::string> paths;
    if (auto listed = parse_json_string_array(arguments)) {
      for (auto& path : *listed) paths.push_back(BERTH_TRY(expand_dockerfile_word(path, config.env)));
    } else {
      paths = BERTH_TRY(expand_words(arguments, config.env));
    }
    if (paths.empty()) return unexpected(Error("VOLUME requires at least one path"));
    for (auto& path : paths) {
      if (text::trim(path).empty()) return unexpected(Error("VOLUME specified can not be an empty string"));
      if (std::find(config.volumes.begin(), config.volumes.end(), path) == config.volumes.end())
        config.volumes.push_back(std::move(path));
    }
  } else if (instruction == "STOPSIGNAL") {
    BERTH_TRY(require_arguments());
    auto signal = BERTH_TRY(expand_dockerfile_word(arguments, config.env));
    if (!is_known_signal(signal)) return unexpected(Error(fmt::format("invalid signal \"{}\"", signal)));
    config.stop_signal = std::move(signal);
  } else {
    return unexpected(Error(fmt::format("unknown instruction {} (allowed: {})", instruction, kAllowedInstructions)));
  }
  return {};
}

}  // namespace

Result<std::string> expand_dockerfile_word(std::string_view word, const std::vector<std::string>& env) {
  std::string out;
  size_t i = 0;
  while (i < word.size()) {
    char c = word[i];
    if (c == '\'') {
      size_t close = word.find('\'', i + 1);
      if (close == std::string_view::npos) return unexpected(Error("unterminated single quote"));
      out.append(word.substr(i + 1, close - i - 1));
      i = close + 1;
    } else if (c == '"') {
      ++i;
      bool closed = false;
      while (i < word.size()) {
        char d = word[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < word.size() && (word[i + 1] == '"' || word[i + 1] == '\\' || word[i + 1] == '$')) {
          out += word[i + 1];
          i += 2;
        } else if (d == '$') {
          out += BERTH_TRY(expand_variable(word, i, env));
        } else {
          out += d;
          ++i;
        }
      }
      if (!closed) return unexpected(Error("unterminated double quote"));
    } else if (c == '\\') {
      if (i + 1 < word.size()) out += word[i + 1];
      i += 2;
    } else if (c == '$') {
      out += BERTH_TRY(expand_variable(word, i, env));
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

Result<void> apply_config_changes(ImageConfig& config, const std::vector<std::string>& changes) {
  ChangeState state;
  for (const auto& change : changes) {
    auto applied = apply_one_change(config, change, state);
    if (!applied) return std::move(applied).error().wrap(fmt::format("--change \"{}\"", change));
  }
  return {};
}

}  // namespace berth::image
