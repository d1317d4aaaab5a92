#include "compose/decode.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "compose/decode_internal.h"
#include "compose/go_format.h"
#include "compose/shell_words.h"

namespace berth::compose {

Value to_value(const Node& node) {
  Value value;
  switch (node.kind) {
    case NodeKind::null: break;
    case NodeKind::scalar:
      switch (node.type) {
        case ScalarType::string:
          value.kind = Value::Kind::string;
          value.string = node.text;
          break;
        case ScalarType::boolean:
          value.kind = Value::Kind::boolean;
          value.boolean = node.as_boolean().value_or(false);
          break;
        case ScalarType::integer:
          if (auto i = parse_yaml_integer(node.text)) {
            value.kind = Value::Kind::integer;
            value.integer = *i;
          } else {
            value.kind = Value::Kind::string;
            value.string = node.text;
          }
          break;
        case ScalarType::floating:
          value.kind = Value::Kind::number;
          value.number = node.as_double().value_or(0);
          break;
      }
      break;
    case NodeKind::sequence:
      value.kind = Value::Kind::list;
      for (const Node& item : node.items) value.list.push_back(to_value(item));
      break;
    case NodeKind::mapping:
      value.kind = Value::Kind::map;
      for (const MapEntry& entry : node.entries) value.map.push_back(ValueEntry{entry.key, to_value(entry.value)});
      break;
  }
  return value;
}

namespace detail {

namespace {

Error wrong_type(const Node& node, const KeyPath& path, std::string_view expected) {
  return located_error(node.mark, path, "must be " + std::string(expected) + ", found " + describe_kind(node));
}

}  // namespace

Result<void> Reader::expect_mapping(const Node& node, const KeyPath& path) const {
  if (!node.is_mapping()) return wrong_type(node, path, "a mapping");
  return {};
}

Result<std::string> Reader::text(const Node& node, const KeyPath& path) const {
  if (node.is_scalar()) return node.scalar_string();
  if (node.is_null()) return std::string();
  return wrong_type(node, path, "a string");
}

Result<bool> Reader::flag(const Node& node, const KeyPath& path) const {
  if (node.is_boolean()) return *node.as_boolean();
  if (node.is_string()) {
    std::string lowered = node.text;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lowered == "true" || lowered == "yes" || lowered == "y" || lowered == "on") return true;
    if (lowered == "false" || lowered == "no" || lowered == "n" || lowered == "off") return false;
    return located_error(node.mark, path, "invalid boolean " + quote(node.text));
  }
  if (node.is_null()) return false;
  return wrong_type(node, path, "a boolean");
}

Result<int64_t> Reader::integer(const Node& node, const KeyPath& path) const {
  if (auto value = node.as_integer()) return *value;
  if (node.is_string()) {
    int64_t value = 0;
    std::string_view digits = node.text;
    if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (!digits.empty() && ec == std::errc() && ptr == digits.data() + digits.size()) return value;
    return located_error(node.mark, path, "invalid integer " + quote(node.text));
  }
  if (node.is_null()) return 0;
  return wrong_type(node, path, "an integer");
}

Result<uint64_t> Reader::unsigned_integer(const Node& node, const KeyPath& path) const {
  int64_t value = BERTH_TRY(integer(node, path));
  if (value < 0) return located_error(node.mark, path, "must not be negative");
  return static_cast<uint64_t>(value);
}

Result<double> Reader::number(const Node& node, const KeyPath& path) const {
  if (auto value = node.as_double()) return *value;
  if (node.is_string()) {
    auto value = parse_yaml_float(node.text);
    if (value && node.text.find('_') == std::string::npos) return *value;
    return located_error(node.mark, path, "invalid number " + quote(node.text));
  }
  if (node.is_null()) return 0.0;
  return wrong_type(node, path, "a number");
}

Result<Nanoseconds> Reader::duration(const Node& node, const KeyPath& path) const {
  if (!node.is_scalar()) return wrong_type(node, path, "a duration");
  std::string text = node.scalar_string();
  auto value = parse_go_duration(text);
  if (!value) return located_error(node.mark, path, "invalid duration " + quote(text) + " (use units: 1m30s, 10s, 500ms)");
  return *value;
}

Result<Bytes> Reader::bytes(const Node& node, const KeyPath& path) const {
  if (node.is_integer()) return BERTH_TRY(integer(node, path));
  if (node.is_string()) {
    auto value = parse_ram_in_bytes(node.text);
    if (!value) return located_error(node.mark, path, "invalid size " + quote(node.text) + " (like 512m, 1g, 1024)");
    return *value;
  }
  if (node.is_number()) return static_cast<Bytes>(node.as_double().value_or(0));
  if (node.is_null()) return 0;
  return wrong_type(node, path, "a size");
}

Result<int64_t> Reader::file_mode(const Node& node, const KeyPath& path) const {
  if (node.is_integer()) return BERTH_TRY(integer(node, path));
  if (node.is_string()) {
    int64_t value = 0;
    std::string_view digits = node.text;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 8);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size())
      return located_error(node.mark, path, "invalid file mode " + quote(node.text) + " (octal, like 0440)");
    return value;
  }
  return wrong_type(node, path, "a file mode");
}

Result<std::vector<std::string>> Reader::strings(const Node& node, const KeyPath& path) const {
  std::vector<std::string> out;
  if (node.is_null()) return out;
  if (node.is_scalar()) {
    out.push_back(node.scalar_string());
    return out;
  }
  if (!node.is_sequence()) return wrong_type(node, path, "a list of strings");
  out.reserve(node.items.size());
  for (size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = node.items[i];
    if (!item.is_scalar()) return wrong_type(item, path.item(i), "a string");
    out.push_back(item.scalar_string());
  }
  return out;
}

Result<Mapping> Reader::mapping(const Node& node, const KeyPath& path) const {
  Mapping out;
  if (node.is_null()) return out;
  if (node.is_mapping()) {
    for (const MapEntry& entry : node.entries) {
      if (entry.value.is_null()) {
        out[entry.key] = "";
      } else if (entry.value.is_scalar()) {
        out[entry.key] = entry.value.scalar_string();
      } else {
        return wrong_type(entry.value, path.child(entry.key), "a string");
      }
    }
    return out;
  }
  if (node.is_sequence()) {
    for (size_t i = 0; i < node.items.size(); ++i) {
      const Node& item = node.items[i];
      if (!item.is_scalar()) return wrong_type(item, path.item(i), "KEY=VALUE");
      std::string entry = item.scalar_string();
      size_t equals = entry.find('=');
      if (equals == std::string::npos) out[entry] = "";
      else out[entry.substr(0, equals)] = entry.substr(equals + 1);
    }
    return out;
  }
  return wrong_type(node, path, "a mapping or a list of KEY=VALUE");
}

Result<OptionalMapping> Reader::optional_mapping(const Node& node, const KeyPath& path) const {
  OptionalMapping out;
  if (node.is_null()) return out;
  if (node.is_mapping()) {
    for (const MapEntry& entry : node.entries) {
      if (entry.value.is_null()) {
        out[entry.key] = std::nullopt;
      } else if (entry.value.is_scalar()) {
        out[entry.key] = entry.value.scalar_string();
      } else {
        return wrong_type(entry.value, path.child(entry.key), "a string");
      }
    }
    return out;
  }
  if (node.is_sequence()) {
    for (size_t i = 0; i < node.items.size(); ++i) {
      const Node& item = node.items[i];
      if (!item.is_scalar()) return wrong_type(item, path.item(i), "KEY=VALUE");
      std::string entry = item.scalar_string();
      size_t equals = entry.find('=');
      std::string key = entry.substr(0, equals);
      if (!key.empty() && std::isspace(static_cast<unsigned char>(key.back())))
        return located_error(item.mark, path.item(i), "variable " + quote(key) + " is declared with a trailing space");
      if (equals == std::string::npos) out[key] = std::nullopt;
      else out[key] = entry.substr(equals + 1);
    }
    return out;
  }
  return wrong_type(node, path, "a mapping or a list of KEY=VALUE");
}

Result<MultiMapping> Reader::multi_mapping(const Node& node, const KeyPath& path) const {
  MultiMapping out;
  if (node.is_null()) return out;
  if (!node.is_mapping()) return wrong_type(node, path, "a mapping");
  for (const MapEntry& entry : node.entries) {
    if (entry.value.is_sequence()) {
      for (const Node& item : entry.value.items) out[entry.key].push_back(item.scalar_string());
    } else {
      out[entry.key].push_back(entry.value.scalar_string());
    }
  }
  return out;
}

Result<MultiMapping> Reader::hosts(const Node& node, const KeyPath& path) const {
  MultiMapping out;
  auto add = [&](std::string host, const std::string& addresses, const Node& at, const KeyPath& where) -> Result<void> {
    if (host.empty() || host.find_first_of(":=") != std::string::npos)
      return located_error(at.mark, where, "bad host name " + quote(host));
    size_t start = 0;
    while (true) {
      size_t comma = addresses.find(',', start);
      std::string address = addresses.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (address.size() > 2 && address.front() == '[' && address.back() == ']')
        address = address.substr(1, address.size() - 2);
      out[host].push_back(std::move(address));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return {};
  };
  if (node.is_null()) return out;
  if (node.is_mapping()) {
    for (const MapEntry& entry : node.entries) {
      KeyPath where = path.child(entry.key);
      if (entry.value.is_sequence()) {
        for (const Node& item : entry.value.items) {
          std::string address = item.scalar_string();
          if (address.size() > 2 && address.front() == '[' && address.back() == ']')
            address = address.substr(1, address.size() - 2);
          if (entry.key.empty() || entry.key.find_first_of(":=") != std::string::npos)
            return located_error(entry.key_mark, where, "bad host name " + quote(entry.key));
          out[entry.key].push_back(std::move(address));
        }
      } else {
        std::string address = entry.value.is_null() ? "" : entry.value.scalar_string();
        if (entry.key.empty() || entry.key.find_first_of(":=") != std::string::npos)
          return located_error(entry.key_mark, where, "bad host name " + quote(entry.key));
        if (address.size() > 2 && address.front() == '[' && address.back() == ']')
          address = address.substr(1, address.size() - 2);
        out[entry.key].push_back(std::move(address));
      }
    }
    return out;
  }
  if (!node.is_sequence()) return wrong_type(node, path, "a mapping or a list of host=address");
  for (size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = node.items[i];
    std::string entry = item.scalar_string();
    size_t separator = entry.find('=');
    if (separator == std::string::npos) separator = entry.find(':');
    if (separator == std::string::npos)
      return located_error(item.mark, path.item(i), "invalid additional host, missing IP: " + entry);
    BERTH_TRY(add(entry.substr(0, separator), entry.substr(separator + 1), item, path.item(i)));
  }
  return out;
}

Result<ShellCommand> Reader::command(const Node& node, const KeyPath& path) const {
  ShellCommand out;
  if (node.is_sequence()) {
    for (size_t i = 0; i < node.items.size(); ++i) {
      if (!node.items[i].is_scalar()) return wrong_type(node.items[i], path.item(i), "a string");
      out.argv.push_back(node.items[i].scalar_string());
    }
    return out;
  }
  if (!node.is_scalar()) return wrong_type(node, path, "a string or a list");
  std::string line = node.scalar_string();
  auto words = split_shell_words(line);
  if (!words) return located_error(node.mark, path, words.error().message() + ": " + quote(line));
  if (words->stopped_at)
    warn(node.mark.str() + ": " + path.str() + ": the command stops at " +
         quote(line.substr(*words->stopped_at, 1)) +
         " (no shell interprets it; use a list, or [\"sh\", \"-c\", \"...\"], to keep what follows)");
  out.argv = std::move(words->words);
  out.shell_form = std::move(line);
  return out;
}

Result<FileReference> Reader::file_reference(const Node& node, const KeyPath& path) const {
  FileReference out;
  if (node.is_string()) {
    out.source = node.text;
    return out;
  }
  BERTH_TRY(expect_mapping(node, path));
  for (const MapEntry& entry : node.entries) {
    KeyPath at = path.child(entry.key);
    const Node& value = entry.value;
    if (entry.key == "source") out.source = BERTH_TRY(text(value, at));
    else if (entry.key == "target") out.target = BERTH_TRY(text(value, at));
    else if (entry.key == "uid") out.uid = BERTH_TRY(text(value, at));
    else if (entry.key == "gid") out.gid = BERTH_TRY(text(value, at));
    else if (entry.key == "mode") out.mode = BERTH_TRY(file_mode(value, at));
  }
  out.extensions = extensions(node);
  return out;
}

Result<Ulimit> Reader::ulimit(const Node& node, const KeyPath& path) const {
  Ulimit out;
  if (!node.is_mapping()) {
    out.single = BERTH_TRY(integer(node, path));
    return out;
  }
  for (const MapEntry& entry : node.entries) {
    if (entry.key == "soft") out.soft = BERTH_TRY(integer(entry.value, path.child("soft")));
    else if (entry.key == "hard") out.hard = BERTH_TRY(integer(entry.value, path.child("hard")));
  }
  out.extensions = extensions(node);
  return out;
}

Result<DeviceRequest> Reader::device_request(const Node& node, const KeyPath& path) const {
  DeviceRequest out;
  BERTH_TRY(expect_mapping(node, path));
  for (const MapEntry& entry : node.entries) {
    KeyPath at = path.child(entry.key);
    const Node& value = entry.value;
    if (entry.key == "capabilities") out.capabilities = BERTH_TRY(strings(value, at));
    else if (entry.key == "driver") out.driver = BERTH_TRY(text(value, at));
    else if (entry.key == "device_ids") out.device_ids = BERTH_TRY(strings(value, at));
    else if (entry.key == "options") out.options = BERTH_TRY(mapping(value, at));
    else if (entry.key == "count") {
      if (value.is_string()) {
        std::string lowered = value.text;
        std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return std::tolower(c); });
        if (lowered == "all") {
          out.count = -1;
          continue;
        }
      }
      auto count = integer(value, at);
      if (!count) return located_error(value.mark, at, "invalid value " + quote(value.scalar_string()) +
                                                           ", the only value allowed is 'all' or a number");
      out.count = *count;
    }
  }
  return out;
}

Result<ServiceHook> Reader::hook(const Node& node, const KeyPath& path) const {
  ServiceHook out;
  BERTH_TRY(expect_mapping(node, path));
  for (const MapEntry& entry : node.entries) {
    KeyPath at = path.child(entry.key);
    const Node& value = entry.value;
    if (entry.key == "command") {
      if (!value.is_null()) out.command = BERTH_TRY(command(value, at));
    } else if (entry.key == "image") out.image = BERTH_TRY(text(value, at));
    else if (entry.key == "user") out.user = BERTH_TRY(text(value, at));
    else if (entry.key == "privileged") out.privileged = BERTH_TRY(flag(value, at));
    else if (entry.key == "working_dir") out.working_dir = BERTH_TRY(text(value, at));
    else if (entry.key == "environment") out.environment = BERTH_TRY(optional_mapping(value, at));
    else if (entry.key == "per_replica") out.per_replica = BERTH_TRY(flag(value, at));
  }
  out.extensions = extensions(node);
  return out;
}

Extensions Reader::extensions(const Node& mapping) const {
  Extensions out;
  for (const MapEntry& entry : mapping.entries)
    if (entry.key.size() > 2 && entry.key[0] == 'x' && entry.key[1] == '-') out[entry.key] = to_value(entry.value);
  return out;
}

namespace {

Result<NetworkConfig> decode_network(const Reader& r, const Node& node, const KeyPath& path) {
  NetworkConfig out;
  if (node.is_null()) return out;
  BERTH_TRY(r.expect_mapping(node, path));
  for (const MapEntry& entry : node.entries) {
    KeyPath at = path.child(entry.key);
    const Node& value = entry.value;
    const std::string& key = entry.key;
    if (key == "name") out.name = BERTH_TRY(r.text(value, at));
    else if (key == "driver") out.driver = BERTH_TRY(r.text(value, at));
    else if (key == "driver_opts") out.driver_opts = BERTH_TRY(r.mapping(value, at));
    else if (key == "external") out.external = BERTH_TRY(r.flag(value, at));
    else if (key == "internal") out.internal = BERTH_TRY(r.flag(value, at));
    else if (key == "attachable") out.attachable = BERTH_TRY(r.flag(value, at));
    else if (key == "labels") out.labels = BERTH_TRY(r.mapping(value, at));
    else if (key == "enable_ipv4") out.enable_ipv4 = BERTH_TRY(r.flag(value, at));
    else if (key == "enable_ipv6") out.enable_ipv6 = BERTH_TRY(r.flag(value, at));
    else if (key == "ipam" && value.is_mapping()) {
      for (const MapEntry& ipam : value.entries) {
        KeyPath ipam_at = at.child(ipam.key);
        if (ipam.key == "driver") out.ipam.driver = BERTH_TRY(r.text(ipam.value, ipam_at));
        else if (ipam.key == "options") out.ipam.options = BERTH_TRY(r.mapping(ipam.value, ipam_at));
        else if (ipam.key == "config" && ipam.value.is_sequence()) {
          for (size_t i = 0; i < ipam.value.items.size(); ++i) {
            const Node& pool_node = ipam.value.items[i];
            KeyPath pool_at = ipam_at.item(i);
            BERTH_TRY(r.expect_mapping(pool_node, pool_at));
            IpamPool pool;
            for (const MapEntry& p : pool_node.entries) {
              KeyPath p_at = pool_at.child(p.key);
              if (p.key == "subnet") pool.subnet = BERTH_TRY(r.text(p.value, p_at));
              else if (p.key == "gateway") pool.gateway = BERTH_TRY(r.text(p.value, p_at));
              else if (p.key == "ip_range") pool.ip_range = BERTH_TRY(r.text(p.value, p_at));
              else if (p.key == "aux_addresses") pool.aux_addresses = BERTH_TRY(r.mapping(p.value, p_at));
            }
            pool.extensions = r.extensions(pool_node);
            out.ipam.config.push_back(std::move(pool));
          }
        }
      }
      out.ipam.extensions = r.extensions(value);
    }
  }
  out.extensions = r.extensions(node);
  return out;
}

Result<VolumeConfig> decode_volume(const Reader& r, const Node& node, const KeyPath& path) {
  VolumeConfig out;
  if (node.is_null()) return out;
  BERTH_TRY(r.expect_mapping(node, path));
  for (const MapEntry& entry : node.entries) {
    KeyPath at = path.child(entry.key);
    const Node& value = entry.value;
    if (entry.key == "name") out.name = BERTH_TRY(r.text(value, at));
    else if (entry.key == "driver") out.driver = BERTH_TRY(r.text(value, at));
    else if (entry.key == "driver_opts") out.driver_opts = BERTH_TRY(r.mapping(value, at));
    else if (entry.key == "external") out.external = BERTH_TRY(r.flag(value, at));
    else if (entry.key == "labels") out.labels = BERTH_TRY(r.mapping(value, at));
  }
  out.extensions = r.extensions(node);
  return out;
}

Result<FileObjectConfig> decode_file_object(const Reader& r, const Node& node, const KeyPath& path) {
  FileObjectConfig out;
  if (node.is_null()) return out;
  BERTH_TRY(r.expect_mapping(node, path));
  for (const MapEntry& entry : node.entries) {
    KeyPath at = path.child(entry.key);
    const Node& value = entry.value;
    const std::string& key = entry.key;
    if (key == "name") out.name = BERTH_TRY(r.text(value, at));
    else if (key == "file") out.file = BERTH_TRY(r.text(value, at));
    else if (key == "environment") out.environment = BERTH_TRY(r.text(value, at));
    else if (key == "content") out.content = BERTH_TRY(r.text(value, at));
    else if (key == "external") out.external = BERTH_TRY(r.flag(value, at));
    else if (key == "labels") out.labels = BERTH_TRY(r.mapping(value, at));
    else if (key == "driver") out.driver = BERTH_TRY(r.text(value, at));
    else if (key == "driver_opts") out.driver_opts = BERTH_TRY(r.mapping(value, at));
    else if (key == "template_driver") out.template_driver = BERTH_TRY(r.text(value, at));
  }
  // A secret or config given by `environment:` holds that variable's value (never printed back).
  if (!out.environment.empty() && r.context().environment) {
    auto it = r.context().environment->find(out.environment);
    if (it != r.context().environment->end()) {
      out.content = it->second;
      out.content_from_environment = true;
    }
  }
  out.extensions = r.extensions(node);
  return out;
}

Result<ModelConfig> decode_model(const Reader& r, const Node& node, const KeyPath& path) {
  ModelConfig out;
  if (node.is_null()) return out;
  BERTH_TRY(r.expect_mapping(node, path));
  for (const MapEntry& entry : node.entries) {
    KeyPath at = path.child(entry.key);
    if (entry.key == "name") out.name = BERTH_TRY(r.text(entry.value, at));
    else if (entry.key == "model") out.model = BERTH_TRY(r.text(entry.value, at));
    else if (entry.key == "context_size") out.context_size = BERTH_TRY(r.integer(entry.value, at));
    else if (entry.key == "runtime_flags") out.runtime_flags = BERTH_TRY(r.strings(entry.value, at));
  }
  out.extensions = r.extensions(node);
  return out;
}

template <class T, class Decode>
Result<void> decode_section(const Node& model, const char* key, std::map<std::string, T>& out, Decode decode) {
  const Node* section = model.find(key);
  if (!section || section->is_null()) return {};
  KeyPath path{key};
  if (!section->is_mapping())
    return located_error(section->mark, path, "must be a mapping, found " + describe_kind(*section));
  for (const MapEntry& entry : section->entries) out[entry.key] = BERTH_TRY(decode(entry.value, path.child(entry.key)));
  return {};
}

}  // namespace

}  // namespace detail

Result<Project> decode_project(const Node& model, const DecodeContext& context) {
  detail::Reader reader(context);
  Project project;
  project.name = context.project_name;
  project.working_dir = context.working_dir;
  BERTH_TRY(detail::decode_section(model, "services", project.services, [&](const Node& node, const KeyPath& path) {
    return detail::decode_service(reader, path.segments().back(), node, path);
  }));
  BERTH_TRY(detail::decode_section(model, "networks", project.networks, [&](const Node& node, const KeyPath& path) {
    return detail::decode_network(reader, node, path);
  }));
  BERTH_TRY(detail::decode_section(model, "volumes", project.volumes, [&](const Node& node, const KeyPath& path) {
    return detail::decode_volume(reader, node, path);
  }));
  BERTH_TRY(detail::decode_section(model, "secrets", project.secrets, [&](const Node& node, const KeyPath& path) {
    return detail::decode_file_object(reader, node, path);
  }));
  BERTH_TRY(detail::decode_section(model, "configs", project.configs, [&](const Node& node, const KeyPath& path) {
    return detail::decode_file_object(reader, node, path);
  }));
  BERTH_TRY(detail::decode_section(model, "models", project.models, [&](const Node& node, const KeyPath& path) {
    return detail::decode_model(reader, node, path);
  }));
  project.extensions = reader.extensions(model);
  return project;
}

}  // namespace berth::compose
