#include "compose/render.h"

#include <algorithm>

#include "compose/render_internal.h"

namespace berth::compose {

namespace {

using detail::PrinterBase;
using detail::ServicePrinter;

// The project and its top-level resources.
class ProjectPrinter : public PrinterBase {
 public:
  using PrinterBase::PrinterBase;

  OutValue project(const Project& p) const {
    OutValue out = OutValue::map(json_);  // JSON prints the project as a Go map (sorted keys)
    out.add("name", OutValue::of(p.name));
    OutValue services = OutValue::map(true);
    for (const auto& [name, s] : p.services) services.add(name, ServicePrinter(json_).service(s));
    out.add("services", std::move(services));
    if (!p.networks.empty()) out.add("networks", sorted_map(p.networks, [&](const NetworkConfig& n) { return network(n); }));
    if (!p.volumes.empty()) out.add("volumes", sorted_map(p.volumes, [&](const VolumeConfig& v) { return volume(v); }));
    if (!p.secrets.empty())
      out.add("secrets", sorted_map(p.secrets, [&](const FileObjectConfig& f) { return file_object(f, false); }));
    if (!p.configs.empty())
      out.add("configs", sorted_map(p.configs, [&](const FileObjectConfig& f) { return file_object(f, true); }));
    if (!p.models.empty() && !json_) out.add("models", sorted_map(p.models, [&](const ModelConfig& m) { return model(m); }));
    for (const auto& [key, value] : sorted_extensions(p.extensions)) out.add(key, extension(*value));
    return out;
  }


 private:
  OutValue network(const NetworkConfig& n) const;
  OutValue volume(const VolumeConfig& v) const;
  OutValue file_object(const FileObjectConfig& f, bool is_config) const;
  OutValue model(const ModelConfig& c) const;
};

OutValue ProjectPrinter::network(const NetworkConfig& n) const {
  OutValue m = OutValue::map(false);
  text(m, "name", n.name);
  text(m, "driver", n.driver);
  string_map(m, "driver_opts", n.driver_opts);
  {
    OutValue ipam = OutValue::map(false);
    text(ipam, "driver", n.ipam.driver);
    if (!n.ipam.config.empty()) {
      OutValue pools = OutValue::list();
      for (const IpamPool& p : n.ipam.config) {
        OutValue pool = OutValue::map(false);
        text(pool, "subnet", p.subnet);
        text(pool, "gateway", p.gateway);
        text(pool, "ip_range", p.ip_range);
        string_map(pool, "aux_addresses", p.aux_addresses);
        extensions(pool, p.extensions);
        pools.items.push_back(std::move(pool));
      }
      ipam.add("config", std::move(pools));
    }
    string_map(ipam, "options", n.ipam.options);
    extensions(ipam, n.ipam.extensions);
    if (!ipam.entries.empty() || json_) m.add("ipam", std::move(ipam));
  }
  flag(m, "external", n.external);
  flag(m, "internal", n.internal);
  flag(m, "attachable", n.attachable);
  string_map(m, "labels", n.labels);
  if (n.enable_ipv4) m.add("enable_ipv4", OutValue::of(*n.enable_ipv4));
  if (n.enable_ipv6) m.add("enable_ipv6", OutValue::of(*n.enable_ipv6));
  extensions(m, n.extensions);
  return m;
}

OutValue ProjectPrinter::volume(const VolumeConfig& v) const {
  OutValue m = OutValue::map(false);
  text(m, "name", v.name);
  text(m, "driver", v.driver);
  string_map(m, "driver_opts", v.driver_opts);
  flag(m, "external", v.external);
  string_map(m, "labels", v.labels);
  extensions(m, v.extensions);
  return m;
}

// Secret contents are never printed; a config's content only when written inline (not taken from a variable).
OutValue ProjectPrinter::file_object(const FileObjectConfig& f, bool is_config) const {
  OutValue m = OutValue::map(false);
  text(m, "name", f.name);
  text(m, "file", f.file);
  text(m, "environment", f.environment);
  if (is_config && f.environment.empty() && !f.content_from_environment) text(m, "content", f.content);
  flag(m, "external", f.external);
  string_map(m, "labels", f.labels);
  text(m, "driver", f.driver);
  string_map(m, "driver_opts", f.driver_opts);
  text(m, "template_driver", f.template_driver);
  extensions(m, f.extensions);
  return m;
}

OutValue ProjectPrinter::model(const ModelConfig& c) const {
  OutValue m = OutValue::map(false);
  text(m, "name", c.name);
  text(m, "model", c.model);
  integer(m, "context_size", c.context_size);
  string_list(m, "runtime_flags", c.runtime_flags);
  extensions(m, c.extensions);
  return m;
}

OutValue node_value(const Node& node) {
  switch (node.kind) {
    case NodeKind::null: return OutValue::null();
    case NodeKind::scalar:
      switch (node.type) {
        case ScalarType::string: return OutValue::of(node.text);
        case ScalarType::boolean: return OutValue::of(node.as_boolean().value_or(false));
        case ScalarType::integer:
          if (auto value = node.as_integer()) return OutValue::of(*value);
          return OutValue::of(node.text);
        case ScalarType::floating: return OutValue::of(node.as_double().value_or(0));
      }
      return OutValue::null();
    case NodeKind::sequence: {
      OutValue list = OutValue::list();
      for (const Node& item : node.items) list.items.push_back(node_value(item));
      return list;
    }
    case NodeKind::mapping: {
      OutValue map = OutValue::map(true);
      for (const MapEntry& entry : node.entries) map.add(entry.key, node_value(entry.value));
      return map;
    }
  }
  return OutValue::null();
}

std::string finish(std::string text, const RenderOptions& options) {
  if (options.format == OutputFormat::json) text += '\n';
  if (!options.escape_dollars || text.find('$') == std::string::npos) return text;
  std::string escaped;
  escaped.reserve(text.size() + 16);
  for (char c : text) {
    escaped += c;
    if (c == '$') escaped += '$';
  }
  return escaped;
}

}  // namespace

std::string render_project(const Project& project, const RenderOptions& options) {
  ProjectPrinter printer(options.format == OutputFormat::json);
  OutValue document = printer.project(project);
  return finish(options.format == OutputFormat::json ? write_json(document) : write_yaml(document), options);
}

std::string render_model(const Node& model, const RenderOptions& options) {
  OutValue document = node_value(model);
  return finish(options.format == OutputFormat::json ? write_json(document) : write_yaml(document), options);
}

}  // namespace berth::compose
