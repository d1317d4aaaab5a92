#include "engine/image/oci_documents.h"

#include <fmt/core.h>
#include <sys/utsname.h>

#include <nlohmann/json.hpp>
#include <optional>

namespace berth::image {
namespace {

using Json = nlohmann::json;

std::string string_field(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t integer_field(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

// Docker's strslice: a list of strings, or a single string for old configs. Null or absent is nullopt.
std::optional<std::vector<std::string>> string_list_field(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return std::vector<std::string>{it->get<std::string>()};
  if (!it->is_array()) return std::nullopt;
  std::vector<std::string> items;
  for (const auto& item : *it)
    if (item.is_string()) items.push_back(item.get<std::string>());
  return items;
}

// {"80/tcp": {}} → ["80/tcp"]
std::vector<std::string> key_set_field(const Json& object, const char* key) {
  std::vector<std::string> keys;
  auto it = object.find(key);
  if (it != object.end() && it->is_object())
    for (const auto& item : it->items()) keys.push_back(item.key());
  return keys;
}

std::map<std::string, std::string> string_map_field(const Json& object, const char* key) {
  std::map<std::string, std::string> map;
  auto it = object.find(key);
  if (it != object.end() && it->is_object())
    for (const auto& item : it->items())
      if (item.value().is_string()) map[item.key()] = item.value().get<std::string>();
  return map;
}

Result<Json> parse_object(std::string_view json, std::string_view what) {
  auto parsed = Json::parse(json, nullptr, false);
  if (parsed.is_discarded()) return unexpected(Error(fmt::format("{}: invalid JSON", what)));
  if (!parsed.is_object()) return unexpected(Error(fmt::format("{}: not a JSON object", what)));
  return parsed;
}

Descriptor parse_descriptor(const Json& object) {
  Descriptor descriptor;
  if (!object.is_object()) return descriptor;
  descriptor.media_type = string_field(object, "mediaType");
  descriptor.digest = string_field(object, "digest");
  descriptor.size = integer_field(object, "size");
  descriptor.annotations = string_map_field(object, "annotations");
  return descriptor;
}

Json descriptor_json(const Descriptor& descriptor) {
  Json object = {{"mediaType", descriptor.media_type}, {"digest", descriptor.digest}, {"size", descriptor.size}};
  if (!descriptor.annotations.empty()) object["annotations"] = descriptor.annotations;
  return object;
}

ImageConfig parse_container_config(const Json& object) {
  ImageConfig config;
  if (!object.is_object()) return config;
  config.user = string_field(object, "User");
  config.env = string_list_field(object, "Env").value_or(std::vector<std::string>{});
  config.entrypoint = string_list_field(object, "Entrypoint");
  config.cmd = string_list_field(object, "Cmd");
  config.working_dir = string_field(object, "WorkingDir");
  config.exposed_ports = key_set_field(object, "ExposedPorts");
  config.volumes = key_set_field(object, "Volumes");
  config.labels = string_map_field(object, "Labels");
  config.stop_signal = string_field(object, "StopSignal");
  if (auto health = object.find("Healthcheck"); health != object.end() && health->is_object()) {
    config.healthcheck_test = string_list_field(*health, "Test");
    config.healthcheck_interval_ns = integer_field(*health, "Interval");
    config.healthcheck_timeout_ns = integer_field(*health, "Timeout");
    config.healthcheck_start_period_ns = integer_field(*health, "StartPeriod");
    config.healthcheck_retries = static_cast<int>(integer_field(*health, "Retries"));
  }
  return config;
}

Json key_set_json(const std::vector<std::string>& keys) {
  Json object = Json::object();
  for (const auto& key : keys) object[key] = Json::object();
  return object;
}

Json container_config_json(const ImageConfig& config) {
  Json object = Json::object();
  if (!config.user.empty()) object["User"] = config.user;
  if (!config.exposed_ports.empty()) object["ExposedPorts"] = key_set_json(config.exposed_ports);
  if (!config.env.empty()) object["Env"] = config.env;
  if (config.entrypoint) object["Entrypoint"] = *config.entrypoint;
  if (config.cmd) object["Cmd"] = *config.cmd;
  if (!config.volumes.empty()) object["Volumes"] = key_set_json(config.volumes);
  if (!config.working_dir.empty()) object["WorkingDir"] = config.working_dir;
  if (!config.labels.empty()) object["Labels"] = config.labels;
  if (!config.stop_signal.empty()) object["StopSignal"] = config.stop_signal;
  if (config.healthcheck_test) {
    Json health = {{"Test", *config.healthcheck_test}};
    if (config.healthcheck_interval_ns) health["Interval"] = config.healthcheck_interval_ns;
    if (config.healthcheck_timeout_ns) health["Timeout"] = config.healthcheck_timeout_ns;
    if (config.healthcheck_start_period_ns) health["StartPeriod"] = config.healthcheck_start_period_ns;
    if (config.healthcheck_retries) health["Retries"] = config.healthcheck_retries;
    object["Healthcheck"] = health;
  }
  return object;
}

}  // namespace

Result<ImageIndex> parse_image_index(std::string_view json) {
  auto object = BERTH_TRY(parse_object(json, "image index"));
  ImageIndex index;
  if (auto manifests = object.find("manifests"); manifests != object.end() && manifests->is_array())
    for (const auto& item : *manifests) index.manifests.push_back(parse_descriptor(item));
  return index;
}

std::string serialize_image_index(const ImageIndex& index) {
  Json manifests = Json::array();
  for (const auto& descriptor : index.manifests) manifests.push_back(descriptor_json(descriptor));
  Json object = {{"schemaVersion", 2}, {"mediaType", kMediaTypeImageIndex}, {"manifests", manifests}};
  return object.dump(2) + "\n";
}

Result<ImageManifest> parse_image_manifest(std::string_view json) {
  auto object = BERTH_TRY(parse_object(json, "image manifest"));
  ImageManifest manifest;
  manifest.media_type = string_field(object, "mediaType");
  manifest.config = parse_descriptor(object.value("config", Json::object()));
  if (manifest.config.digest.empty()) return unexpected(Error("image manifest: no config descriptor"));
  if (auto layers = object.find("layers"); layers != object.end() && layers->is_array())
    for (const auto& item : *layers) manifest.layers.push_back(parse_descriptor(item));
  return manifest;
}

std::string serialize_image_manifest(const ImageManifest& manifest) {
  Json layers = Json::array();
  for (const auto& layer : manifest.layers) layers.push_back(descriptor_json(layer));
  Json object = {{"schemaVersion", 2},
                 {"mediaType", manifest.media_type.empty() ? std::string(kMediaTypeImageManifest) : manifest.media_type},
                 {"config", descriptor_json(manifest.config)},
                 {"layers", layers}};
  return object.dump();
}

Result<ImageConfigDocument> parse_image_config(std::string_view json) {
  auto object = BERTH_TRY(parse_object(json, "image config"));
  ImageConfigDocument document;
  document.created = string_field(object, "created");
  document.author = string_field(object, "author");
  document.architecture = string_field(object, "architecture");
  document.os = string_field(object, "os");
  document.variant = string_field(object, "variant");
  if (auto config = object.find("config"); config != object.end()) document.config = parse_container_config(*config);
  if (auto rootfs = object.find("rootfs"); rootfs != object.end() && rootfs->is_object())
    document.diff_ids = string_list_field(*rootfs, "diff_ids").value_or(std::vector<std::string>{});
  if (auto history = object.find("history"); history != object.end() && history->is_array()) {
    for (const auto& item : *history) {
      if (!item.is_object()) continue;
      HistoryEntry entry;
      entry.created = string_field(item, "created");
      entry.created_by = string_field(item, "created_by");
      entry.comment = string_field(item, "comment");
      entry.empty_layer = item.value("empty_layer", false);
      document.history.push_back(std::move(entry));
    }
  }
  return document;
}

std::string serialize_image_config(const ImageConfigDocument& document) {
  Json object = Json::object();
  if (!document.created.empty()) object["created"] = document.created;
  if (!document.author.empty()) object["author"] = document.author;
  object["architecture"] = document.architecture;
  object["os"] = document.os;
  if (!document.variant.empty()) object["variant"] = document.variant;
  object["config"] = container_config_json(document.config);
  object["rootfs"] = {{"type", "layers"}, {"diff_ids", document.diff_ids}};
  Json history = Json::array();
  for (const auto& entry : document.history) {
    Json item = Json::object();
    if (!entry.created.empty()) item["created"] = entry.created;
    if (!entry.created_by.empty()) item["created_by"] = entry.created_by;
    if (!entry.comment.empty()) item["comment"] = entry.comment;
    if (entry.empty_layer) item["empty_layer"] = true;
    history.push_back(item);
  }
  object["history"] = history;
  return object.dump();
}

Platform host_platform() {
  Platform platform{"", "linux", ""};
  utsname name {};
  std::string machine = ::uname(&name) == 0 ? name.machine : "";
  if (machine == "x86_64") {
    platform.architecture = "amd64";
  } else if (machine == "aarch64" || machine == "arm64") {
    platform.architecture = "arm64";
  } else if (machine.starts_with("armv7")) {
    platform.architecture = "arm";
    platform.variant = "v7";
  } else if (machine.starts_with("armv6")) {
    platform.architecture = "arm";
    platform.variant = "v6";
  } else if (machine == "i386" || machine == "i686") {
    platform.architecture = "386";
  } else if (machine == "ppc64le" || machine == "s390x" || machine == "riscv64" || machine == "mips64") {
    platform.architecture = machine;
  } else {
    platform.architecture = machine.empty() ? "unknown" : machine;
  }
  return platform;
}

std::optional<int64_t> parse_rfc3339_seconds(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  auto digits = [&](size_t position, size_t count) -> std::optional<int> {
    if (position + count > text.size()) return std::nullopt;
    int value = 0;
    for (size_t i = position; i < position + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      text[13] != ':' || text[16] != ':')
    return std::nullopt;
  auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || *month < 1 || *month > 12 || *day < 1 || *day > 31)
    return std::nullopt;
  size_t position = 19;
  if (position < text.size() && text[position] == '.') {
    ++position;
    while (position < text.size() && text[position] >= '0' && text[position] <= '9') ++position;
  }
  int64_t offset_seconds = 0;
  if (position < text.size() && (text[position] == 'Z' || text[position] == 'z')) {
    ++position;
  } else if (position < text.size() && (text[position] == '+' || text[position] == '-')) {
    auto offset_hours = digits(position + 1, 2), offset_minutes = digits(position + 4, 2);
    if (!offset_hours || !offset_minutes || position + 3 >= text.size() || text[position + 3] != ':') return std::nullopt;
    offset_seconds = (*offset_hours * 3600 + *offset_minutes * 60) * (text[position] == '+' ? 1 : -1);
    position += 6;
  } else {
    return std::nullopt;
  }
  if (position != text.size()) return std::nullopt;
  // Days from the civil date (Howard Hinnant's algorithm), so no time zone state is involved.
  int y = *year - (*month <= 2 ? 1 : 0);
  int era = (y >= 0 ? y : y - 399) / 400;
  int year_of_era = y - era * 400;
  int day_of_year = (153 * (*month + (*month > 2 ? -3 : 9)) + 2) / 5 + *day - 1;
  int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  int64_t days = static_cast<int64_t>(era) * 146097 + day_of_era - 719468;
  return days * 86400 + *hour * 3600 + *minute * 60 + *second - offset_seconds;
}

}  // namespace berth::image
