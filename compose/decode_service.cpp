// Services: every attribute of a service definition read into ServiceConfig.
#include <algorithm>

#include "compose/decode_internal.h"

namespace berth::compose::detail {

namespace {

using Entries = std::vector<MapEntry>;

// Runs `field(key, value, path)` for each entry of a mapping node; the first failure stops the walk.
template <class Field>
Result<void> for_each_field(const Reader& r, const Node& node, const KeyPath& path, Field field) {
  BERTH_TRY(r.expect_mapping(node, path));
  for (const MapEntry& entry : node.entries) BERTH_TRY(field(entry.key, entry.value, path.child(entry.key)));
  return {};
}

template <class T, class Item>
Result<std::vector<T>> list_of(const Reader&, const Node& node, const KeyPath& path, Item item) {
  std::vector<T> out;
  if (node.is_null()) return out;
  if (!node.is_sequence()) return located_error(node.mark, path, "must be a list, found " + describe_kind(node));
  for (size_t i = 0; i < node.items.size(); ++i) out.push_back(BERTH_TRY(item(node.items[i], path.item(i))));
  return out;
}

Result<BuildConfig> decode_build(const Reader& r, const Node& node, const KeyPath& path) {
  BuildConfig b;
  if (node.is_string()) {
    b.context = node.text;
    return b;
  }
  BERTH_TRY(for_each_field(r, node, path, [&](const std::string& key, const Node& v, const KeyPath& at) -> Result<void> {
    if (key == "context") b.context = BERTH_TRY(r.text(v, at));
    else if (key == "dockerfile") b.dockerfile = BERTH_TRY(r.text(v, at));
    else if (key == "dockerfile_inline") b.dockerfile_inline = BERTH_TRY(r.text(v, at));
    else if (key == "entitlements") b.entitlements = BERTH_TRY(r.strings(v, at));
    else if (key == "args") b.args = BERTH_TRY(r.optional_mapping(v, at));
    else if (key == "provenance") b.provenance = BERTH_TRY(r.text(v, at));
    else if (key == "sbom") b.sbom = BERTH_TRY(r.text(v, at));
    else if (key == "ssh") {
      if (v.is_mapping()) {
        for (const MapEntry& e : v.entries) b.ssh.push_back({e.key, e.value.is_null() ? "" : e.value.scalar_string()});
        std::sort(b.ssh.begin(), b.ssh.end(), [](const SshKey& x, const SshKey& y) { return x.id < y.id; });
      }
    } else if (key == "labels") b.labels = BERTH_TRY(r.mapping(v, at));
    else if (key == "cache_from") b.cache_from = BERTH_TRY(r.strings(v, at));
    else if (key == "cache_to") b.cache_to = BERTH_TRY(r.strings(v, at));
    else if (key == "no_cache") b.no_cache = BERTH_TRY(r.flag(v, at));
    else if (key == "no_cache_filter") b.no_cache_filter = BERTH_TRY(r.strings(v, at));
    else if (key == "additional_contexts") b.additional_contexts = BERTH_TRY(r.mapping(v, at));
    else if (key == "pull") b.pull = BERTH_TRY(r.flag(v, at));
    else if (key == "extra_hosts") b.extra_hosts = BERTH_TRY(r.hosts(v, at));
    else if (key == "isolation") b.isolation = BERTH_TRY(r.text(v, at));
    else if (key == "network") b.network = BERTH_TRY(r.text(v, at));
    else if (key == "target") b.target = BERTH_TRY(r.text(v, at));
    else if (key == "secrets")
      b.secrets = BERTH_TRY(list_of<FileReference>(r, v, at, [&](const Node& n, const KeyPath& p) { return r.file_reference(n, p); }));
    else if (key == "shm_size") b.shm_size = BERTH_TRY(r.bytes(v, at));
    else if (key == "tags") b.tags = BERTH_TRY(r.strings(v, at));
    else if (key == "ulimits" && v.is_mapping()) {
      for (const MapEntry& e : v.entries) b.ulimits[e.key] = BERTH_TRY(r.ulimit(e.value, at.child(e.key)));
    } else if (key == "platforms") b.platforms = BERTH_TRY(r.strings(v, at));
    else if (key == "privileged") b.privileged = BERTH_TRY(r.flag(v, at));
    return {};
  }));
  b.extensions = r.extensions(node);
  return b;
}

Result<HealthCheck> decode_healthcheck(const Reader& r, const Node& node, const KeyPath& path) {
  HealthCheck h;
  BERTH_TRY(for_each_field(r, node, path, [&](const std::string& key, const Node& v, const KeyPath& at) -> Result<void> {
    if (key == "test") {
      if (v.is_string()) h.test = {"CMD-SHELL", v.text};
      else h.test = BERTH_TRY(r.strings(v, at));
    } else if (key == "timeout") h.timeout = BERTH_TRY(r.duration(v, at));
    else if (key == "interval") h.interval = BERTH_TRY(r.duration(v, at));
    else if (key == "retries") h.retries = BERTH_TRY(r.unsigned_integer(v, at));
    else if (key == "start_period") h.start_period = BERTH_TRY(r.duration(v, at));
    else if (key == "start_interval") h.start_interval = BERTH_TRY(r.duration(v, at));
    else if (key == "disable") h.disable = BERTH_TRY(r.flag(v, at));
    return {};
  }));
  h.extensions = r.extensions(node);
  return h;
}

Result<UpdateConfig> decode_update(const Reader& r, const Node& node, const KeyPath& path) {
  UpdateConfig u;
  BERTH_TRY(for_each_field(r, node, path, [&](const std::string& key, const Node& v, const KeyPath& at) -> Result<void> {
    if (key == "parallelism") u.parallelism = BERTH_TRY(r.unsigned_integer(v, at));
    else if (key == "delay") u.delay = BERTH_TRY(r.duration(v, at));
    else if (key == "failure_action") u.failure_action = BERTH_TRY(r.text(v, at));
    else if (key == "monitor") u.monitor = BERTH_TRY(r.duration(v, at));
    else if (key == "max_failure_ratio") u.max_failure_ratio = static_cast<float>(BERTH_TRY(r.number(v, at)));
    else if (key == "order") u.order = BERTH_TRY(r.text(v, at));
    return {};
  }));
  u.extensions = r.extensions(node);
  return u;
}

Result<Resource> decode_resource(const Reader& r, const Node& node, const KeyPath& path) {
  Resource res;
  BERTH_TRY(for_each_field(r, node, path, [&](const std::string& key, const Node& v, const KeyPath& at) -> Result<void> {
    if (key == "cpus") res.cpus = static_cast<float>(BERTH_TRY(r.number(v, at)));
    else if (key == "memory") res.memory = BERTH_TRY(r.bytes(v, at));
    else if (key == "pids") res.pids = BERTH_TRY(r.integer(v, at));
    else if (key == "devices")
      res.devices = BERTH_TRY(list_of<DeviceRequest>(r, v, at, [&](const Node& n, const KeyPath& p) { return r.device_request(n, p); }));
    else if (key == "generic_resources")
      res.generic_resources = BERTH_TRY(list_of<GenericResource>(r, v, at, [&](const Node& n, const KeyPath& p) -> Result<GenericResource> {
        GenericResource g;
        BERTH_TRY(r.expect_mapping(n, p));
        if (const Node* spec = n.find("discrete_resource_spec")) {
          KeyPath spec_at = p.child("discrete_resource_spec");
          BERTH_TRY(r.expect_mapping(*spec, spec_at));
          if (const Node* kind = spec->find("kind")) g.kind = BERTH_TRY(r.text(*kind, spec_at.child("kind")));
          if (const Node* value = spec->find("value")) g.value = BERTH_TRY(r.integer(*value, spec_at.child("value")));
          g.extensions = r.extensions(*spec);
        }
        return g;
      }));
    return {};
  }));
  res.extensions = r.extensions(node);
  return res;
}

Result<DeployConfig> decode_deploy(const Reader& r, const Node& node, const KeyPath& path) {
  DeployConfig d;
  BERTH_TRY(for_each_field(r, node, path, [&](const std::string& key, const Node& v, const KeyPath& at) -> Result<void> {
    if (key == "mode") d.mode = BERTH_TRY(r.text(v, at));
    else if (key == "replicas") d.replicas = BERTH_TRY(r.integer(v, at));
    else if (key == "labels") d.labels = BERTH_TRY(r.mapping(v, at));
    else if (key == "update_config") d.update_config = BERTH_TRY(decode_update(r, v, at));
    else if (key == "rollback_config") d.rollback_config = BERTH_TRY(decode_update(r, v, at));
    else if (key == "endpoint_mode") d.endpoint_mode = BERTH_TRY(r.text(v, at));
    else if (key == "resources") {
      BERTH_TRY(for_each_field(r, v, at, [&](const std::string& k, const Node& rv, const KeyPath& rat) -> Result<void> {
        if (k == "limits") d.resources.limits = BERTH_TRY(decode_resource(r, rv, rat));
        else if (k == "reservations") d.resources.reservations = BERTH_TRY(decode_resource(r, rv, rat));
        return {};
      }));
      d.resources.extensions = r.extensions(v);
    } else if (key == "restart_policy") {
      RestartPolicy p;
      BERTH_TRY(for_each_field(r, v, at, [&](const std::string& k, const Node& pv, const KeyPath& pat) -> Result<void> {
        if (k == "condition") p.condition = BERTH_TRY(r.text(pv, pat));
        else if (k == "delay") p.delay = BERTH_TRY(r.duration(pv, pat));
        else if (k == "max_attempts") p.max_attempts = BERTH_TRY(r.unsigned_integer(pv, pat));
        else if (k == "window") p.window = BERTH_TRY(r.duration(pv, pat));
        return {};
      }));
      p.extensions = r.extensions(v);
      d.restart_policy = std::move(p);
    } else if (key == "placement") {
      BERTH_TRY(for_each_field(r, v, at, [&](const std::string& k, const Node& pv, const KeyPath& pat) -> Result<void> {
        if (k == "constraints") d.placement.constraints = BERTH_TRY(r.strings(pv, pat));
        else if (k == "max_replicas_per_node") d.placement.max_replicas_per_node = BERTH_TRY(r.unsigned_integer(pv, pat));
        else if (k == "preferences")
          d.placement.preferences = BERTH_TRY(list_of<PlacementPreference>(r, pv, pat, [&](const Node& n, const KeyPath& p) -> Result<PlacementPreference> {
            PlacementPreference pref;
            BERTH_TRY(r.expect_mapping(n, p));
            if (const Node* spread = n.find("spread")) pref.spread = BERTH_TRY(r.text(*spread, p.child("spread")));
            pref.extensions = r.extensions(n);
            return pref;
          }));
        return {};
      }));
      d.placement.extensions = r.extensions(v);
    }
    return {};
  }));
  d.extensions = r.extensions(node);
  return d;
}

Result<ServicePort> decode_port(const Reader& r, const Node& node, const KeyPath& path) {
  ServicePort p;
  BERTH_TRY(for_each_field(r, node, path, [&](const std::string& key, const Node& v, const KeyPath& at) -> Result<void> {
    if (key == "name") p.name = BERTH_TRY(r.text(v, at));
    else if (key == "mode") p.mode = BERTH_TRY(r.text(v, at));
    else if (key == "host_ip") p.host_ip = BERTH_TRY(r.text(v, at));
    else if (key == "target") {
      int64_t target = BERTH_TRY(r.integer(v, at));
      if (target < 0 || target > 65535)
        return located_error(v.mark, at, "invalid port " + quote(v.scalar_string()) + ": ports are 0-65535");
      p.target = static_cast<uint32_t>(target);
    } else if (key == "published") p.published = BERTH_TRY(r.text(v, at));
    else if (key == "protocol") p.protocol = BERTH_TRY(r.text(v, at));
    else if (key == "app_protocol") p.app_protocol = BERTH_TRY(r.text(v, at));
    return {};
  }));
  p.extensions = r.extensions(node);
  return p;
}

Result<ServiceVolume> decode_volume_mount(const Reader& r, const Node& node, const KeyPath& path) {
  ServiceVolume vol;
  BERTH_TRY(for_each_field(r, node, path, [&](const std::string& key, const Node& v, const KeyPath& at) -> Result<void> {
    if (key == "type") vol.type = BERTH_TRY(r.text(v, at));
    else if (key == "source") vol.source = BERTH_TRY(r.text(v, at));
    else if (key == "target") vol.target = BERTH_TRY(r.text(v, at));
    else if (key == "read_only") vol.read_only = BERTH_TRY(r.flag(v, at));
    else if (key == "consistency") vol.consistency = BERTH_TRY(r.text(v, at));
    else if (key == "bind") {
      VolumeBindOptions b;
      BERTH_TRY(for_each_field(r, v, at, [&](const std::string& k, const Node& bv, const KeyPath& bat) -> Result<void> {
        if (k == "selinux") b.selinux = BERTH_TRY(r.text(bv, bat));
        else if (k == "propagation") b.propagation = BERTH_TRY(r.text(bv, bat));
        else if (k == "create_host_path") b.create_host_path = BERTH_TRY(r.flag(bv, bat));
        else if (k == "recursive") b.recursive = BERTH_TRY(r.text(bv, bat));
        return {};
      }));
      b.extensions = r.extensions(v);
      vol.bind = std::move(b);
    } else if (key == "volume") {
      VolumeVolumeOptions o;
      BERTH_TRY(for_each_field(r, v, at, [&](const std::string& k, const Node& ov, const KeyPath& oat) -> Result<void> {
        if (k == "labels") o.labels = BERTH_TRY(r.mapping(ov, oat));
        else if (k == "nocopy") o.nocopy = BERTH_TRY(r.flag(ov, oat));
        else if (k == "subpath") o.subpath = BERTH_TRY(r.text(ov, oat));
        return {};
      }));
      o.extensions = r.extensions(v);
      vol.volume = std::move(o);
    } else if (key == "tmpfs") {
      VolumeTmpfsOptions t;
      BERTH_TRY(for_each_field(r, v, at, [&](const std::string& k, const Node& tv, const KeyPath& tat) -> Result<void> {
        if (k == "size") t.size = BERTH_TRY(r.bytes(tv, tat));
        else if (k == "mode") t.mode = static_cast<uint32_t>(BERTH_TRY(r.file_mode(tv, tat)));
        return {};
      }));
      t.extensions = r.extensions(v);
      vol.tmpfs = std::move(t);
    } else if (key == "image") {
      VolumeImageOptions i;
      BERTH_TRY(for_each_field(r, v, at, [&](const std::string& k, const Node& iv, const KeyPath& iat) -> Result<void> {
        if (k == "subpath") i.subpath = BERTH_TRY(r.text(iv, iat));
        return {};
      }));
      i.extensions = r.extensions(v);
      vol.image = std::move(i);
    }
    return {};
  }));
  vol.extensions = r.extensions(node);
  return vol;
}

Result<WatchRule> decode_watch(const Reader& r, const Node& node, const KeyPath& path) {
  WatchRule w;
  BERTH_TRY(for_each_field(r, node, path, [&](const std::string& key, const Node& v, const KeyPath& at) -> Result<void> {
    if (key == "path") w.path = BERTH_TRY(r.text(v, at));
    else if (key == "action") w.action = BERTH_TRY(r.text(v, at));
    else if (key == "target") w.target = BERTH_TRY(r.text(v, at));
    else if (key == "exec") w.exec = BERTH_TRY(r.hook(v, at));
    else if (key == "include") w.include = BERTH_TRY(r.strings(v, at));
    else if (key == "ignore") w.ignore = BERTH_TRY(r.strings(v, at));
    else if (key == "initial_sync") w.initial_sync = BERTH_TRY(r.flag(v, at));
    return {};
  }));
  w.extensions = r.extensions(node);
  return w;
}

Result<std::vector<ThrottleDevice>> throttle_devices(const Reader& r, const Node& node, const KeyPath& path) {
  return list_of<ThrottleDevice>(r, node, path, [&](const Node& n, const KeyPath& p) -> Result<ThrottleDevice> {
    ThrottleDevice t;
    BERTH_TRY(r.expect_mapping(n, p));
    if (const Node* device = n.find("path")) t.path = BERTH_TRY(r.text(*device, p.child("path")));
    if (const Node* rate = n.find("rate")) t.rate = BERTH_TRY(r.bytes(*rate, p.child("rate")));
    t.extensions = r.extensions(n);
    return t;
  });
}

Result<BlkioConfig> decode_blkio(const Reader& r, const Node& node, const KeyPath& path) {
  BlkioConfig b;
  BERTH_TRY(for_each_field(r, node, path, [&](const std::string& key, const Node& v, const KeyPath& at) -> Result<void> {
    if (key == "weight") b.weight = static_cast<uint16_t>(BERTH_TRY(r.integer(v, at)));
    else if (key == "weight_device")
      b.weight_device = BERTH_TRY(list_of<WeightDevice>(r, v, at, [&](const Node& n, const KeyPath& p) -> Result<WeightDevice> {
        WeightDevice w;
        BERTH_TRY(r.expect_mapping(n, p));
        if (const Node* device = n.find("path")) w.path = BERTH_TRY(r.text(*device, p.child("path")));
        if (const Node* weight = n.find("weight")) w.weight = static_cast<uint16_t>(BERTH_TRY(r.integer(*weight, p.child("weight"))));
        w.extensions = r.extensions(n);
        return w;
      }));
    else if (key == "device_read_bps") b.device_read_bps = BERTH_TRY(throttle_devices(r, v, at));
    else if (key == "device_read_iops") b.device_read_iops = BERTH_TRY(throttle_devices(r, v, at));
    else if (key == "device_write_bps") b.device_write_bps = BERTH_TRY(throttle_devices(r, v, at));
    else if (key == "device_write_iops") b.device_write_iops = BERTH_TRY(throttle_devices(r, v, at));
    return {};
  }));
  b.extensions = r.extensions(node);
  return b;
}

// The attributes whose value is a plain string.
std::string* string_field(ServiceConfig& s, const std::string& key) {
  static const std::pair<const char*, std::string ServiceConfig::*> kFields[] = {
      {"cgroup_parent", &ServiceConfig::cgroup_parent}, {"cgroup", &ServiceConfig::cgroup},
      {"cpuset", &ServiceConfig::cpuset},                {"container_name", &ServiceConfig::container_name},
      {"domainname", &ServiceConfig::domainname},        {"hostname", &ServiceConfig::hostname},
      {"image", &ServiceConfig::image},                  {"ipc", &ServiceConfig::ipc},
      {"isolation", &ServiceConfig::isolation},          {"mac_address", &ServiceConfig::mac_address},
      {"network_mode", &ServiceConfig::network_mode},    {"pid", &ServiceConfig::pid},
      {"platform", &ServiceConfig::platform},            {"pull_policy", &ServiceConfig::pull_policy},
      {"restart", &ServiceConfig::restart},              {"runtime", &ServiceConfig::runtime},
      {"stop_signal", &ServiceConfig::stop_signal},      {"user", &ServiceConfig::user},
      {"userns_mode", &ServiceConfig::userns_mode},      {"uts", &ServiceConfig::uts},
      {"volume_driver", &ServiceConfig::volume_driver},  {"working_dir", &ServiceConfig::working_dir},
  };
  for (const auto& [name, member] : kFields)
    if (key == name) return &(s.*member);
  return nullptr;
}

// The attributes whose value is a list of strings.
std::vector<std::string>* strings_field(ServiceConfig& s, const std::string& key) {
  static const std::pair<const char*, std::vector<std::string> ServiceConfig::*> kFields[] = {
      {"profiles", &ServiceConfig::profiles},
      {"cap_add", &ServiceConfig::cap_add},
      {"cap_drop", &ServiceConfig::cap_drop},
      {"device_cgroup_rules", &ServiceConfig::device_cgroup_rules},
      {"dns", &ServiceConfig::dns},
      {"dns_opt", &ServiceConfig::dns_opt},
      {"dns_search", &ServiceConfig::dns_search},
      {"expose", &ServiceConfig::expose},
      {"external_links", &ServiceConfig::external_links},
      {"group_add", &ServiceConfig::group_add},
      {"label_file", &ServiceConfig::label_file},
      {"links", &ServiceConfig::links},
      {"security_opt", &ServiceConfig::security_opt},
      {"tmpfs", &ServiceConfig::tmpfs},
      {"volumes_from", &ServiceConfig::volumes_from},
  };
  for (const auto& [name, member] : kFields)
    if (key == name) return &(s.*member);
  return nullptr;
}

// The attributes whose value is a boolean.
bool* flag_field(ServiceConfig& s, const std::string& key) {
  static const std::pair<const char*, bool ServiceConfig::*> kFields[] = {
      {"oom_kill_disable", &ServiceConfig::oom_kill_disable}, {"privileged", &ServiceConfig::privileged},
      {"read_only", &ServiceConfig::read_only},               {"stdin_open", &ServiceConfig::stdin_open},
      {"tty", &ServiceConfig::tty},                           {"use_api_socket", &ServiceConfig::use_api_socket},
  };
  for (const auto& [name, member] : kFields)
    if (key == name) return &(s.*member);
  return nullptr;
}

// The attributes whose value is an integer.
int64_t* integer_field(ServiceConfig& s, const std::string& key) {
  static const std::pair<const char*, int64_t ServiceConfig::*> kFields[] = {
      {"cpu_count", &ServiceConfig::cpu_count},       {"cpu_period", &ServiceConfig::cpu_period},
      {"cpu_quota", &ServiceConfig::cpu_quota},       {"cpu_rt_period", &ServiceConfig::cpu_rt_period},
      {"cpu_rt_runtime", &ServiceConfig::cpu_rt_runtime}, {"cpu_shares", &ServiceConfig::cpu_shares},
      {"oom_score_adj", &ServiceConfig::oom_score_adj}, {"pids_limit", &ServiceConfig::pids_limit},
  };
  for (const auto& [name, member] : kFields)
    if (key == name) return &(s.*member);
  return nullptr;
}

// The attributes whose value is a byte size.
Bytes* bytes_field(ServiceConfig& s, const std::string& key) {
  static const std::pair<const char*, Bytes ServiceConfig::*> kFields[] = {
      {"mem_limit", &ServiceConfig::mem_limit},         {"mem_reservation", &ServiceConfig::mem_reservation},
      {"memswap_limit", &ServiceConfig::memswap_limit}, {"mem_swappiness", &ServiceConfig::mem_swappiness},
      {"shm_size", &ServiceConfig::shm_size},
  };
  for (const auto& [name, member] : kFields)
    if (key == name) return &(s.*member);
  return nullptr;
}

Result<void> decode_field(const Reader& r, ServiceConfig& s, const std::string& key, const Node& v, const KeyPath& at) {
  if (key.size() > 2 && key[0] == 'x' && key[1] == '-') return {};
  if (std::string* field = string_field(s, key)) {
    *field = BERTH_TRY(r.text(v, at));
    return {};
  }
  if (std::vector<std::string>* field = strings_field(s, key)) {
    *field = BERTH_TRY(r.strings(v, at));
    return {};
  }
  if (bool* field = flag_field(s, key)) {
    *field = BERTH_TRY(r.flag(v, at));
    return {};
  }
  if (int64_t* field = integer_field(s, key)) {
    *field = BERTH_TRY(r.integer(v, at));
    return {};
  }
  if (Bytes* field = bytes_field(s, key)) {
    *field = BERTH_TRY(r.bytes(v, at));
    return {};
  }
  if (key == "annotations") s.annotations = BERTH_TRY(r.mapping(v, at));
  else if (key == "attach") s.attach = BERTH_TRY(r.flag(v, at));
  else if (key == "build") s.build = BERTH_TRY(decode_build(r, v, at));
  else if (key == "develop") {
    DevelopConfig d;
    if (const Node* watch = v.find("watch"))
      d.watch = BERTH_TRY(list_of<WatchRule>(r, *watch, at.child("watch"), [&](const Node& n, const KeyPath& p) { return decode_watch(r, n, p); }));
    d.extensions = r.extensions(v);
    s.develop = std::move(d);
  } else if (key == "blkio_config") s.blkio_config = BERTH_TRY(decode_blkio(r, v, at));
  else if (key == "cpu_percent") s.cpu_percent = static_cast<float>(BERTH_TRY(r.number(v, at)));
  else if (key == "cpus") s.cpus = static_cast<float>(BERTH_TRY(r.number(v, at)));
  else if (key == "command") {
    if (!v.is_null()) s.command = BERTH_TRY(r.command(v, at));
  } else if (key == "entrypoint") {
    if (!v.is_null()) s.entrypoint = BERTH_TRY(r.command(v, at));
  } else if (key == "configs")
    s.configs = BERTH_TRY(list_of<FileReference>(r, v, at, [&](const Node& n, const KeyPath& p) { return r.file_reference(n, p); }));
  else if (key == "secrets")
    s.secrets = BERTH_TRY(list_of<FileReference>(r, v, at, [&](const Node& n, const KeyPath& p) { return r.file_reference(n, p); }));
  else if (key == "credential_spec") {
    CredentialSpec c;
    BERTH_TRY(for_each_field(r, v, at, [&](const std::string& k, const Node& cv, const KeyPath& cat) -> Result<void> {
      if (k == "config") c.config = BERTH_TRY(r.text(cv, cat));
      else if (k == "file") c.file = BERTH_TRY(r.text(cv, cat));
      else if (k == "registry") c.registry = BERTH_TRY(r.text(cv, cat));
      return {};
    }));
    c.extensions = r.extensions(v);
    s.credential_spec = std::move(c);
  } else if (key == "depends_on") {
    BERTH_TRY(for_each_field(r, v, at, [&](const std::string& name, const Node& dv, const KeyPath& dat) -> Result<void> {
      ServiceDependency d;
      BERTH_TRY(for_each_field(r, dv, dat, [&](const std::string& k, const Node& fv, const KeyPath& fat) -> Result<void> {
        if (k == "condition") d.condition = BERTH_TRY(r.text(fv, fat));
        else if (k == "restart") d.restart = BERTH_TRY(r.flag(fv, fat));
        else if (k == "required") d.required = BERTH_TRY(r.flag(fv, fat));
        return {};
      }));
      d.extensions = r.extensions(dv);
      s.depends_on[name] = std::move(d);
      return {};
    }));
  } else if (key == "deploy") s.deploy = BERTH_TRY(decode_deploy(r, v, at));
  else if (key == "devices")
    s.devices = BERTH_TRY(list_of<DeviceMapping>(r, v, at, [&](const Node& n, const KeyPath& p) -> Result<DeviceMapping> {
      DeviceMapping d;
      BERTH_TRY(for_each_field(r, n, p, [&](const std::string& k, const Node& dv, const KeyPath& dat) -> Result<void> {
        if (k == "source") d.source = BERTH_TRY(r.text(dv, dat));
        else if (k == "target") d.target = BERTH_TRY(r.text(dv, dat));
        else if (k == "permissions") d.permissions = BERTH_TRY(r.text(dv, dat));
        return {};
      }));
      d.extensions = r.extensions(n);
      return d;
    }));
  else if (key == "provider") {
    ServiceProvider p;
    BERTH_TRY(for_each_field(r, v, at, [&](const std::string& k, const Node& pv, const KeyPath& pat) -> Result<void> {
      if (k == "type") p.type = BERTH_TRY(r.text(pv, pat));
      else if (k == "options") p.options = BERTH_TRY(r.multi_mapping(pv, pat));
      return {};
    }));
    p.extensions = r.extensions(v);
    s.provider = std::move(p);
  } else if (key == "environment") s.environment = BERTH_TRY(r.optional_mapping(v, at));
  else if (key == "env_file")
    s.env_file = BERTH_TRY(list_of<EnvFile>(r, v, at, [&](const Node& n, const KeyPath& p) -> Result<EnvFile> {
      EnvFile e;
      if (n.is_string()) {
        e.path = n.text;
        return e;
      }
      BERTH_TRY(for_each_field(r, n, p, [&](const std::string& k, const Node& ev, const KeyPath& eat) -> Result<void> {
        if (k == "path") e.path = BERTH_TRY(r.text(ev, eat));
        else if (k == "required") e.required = BERTH_TRY(r.flag(ev, eat));
        else if (k == "format") e.format = BERTH_TRY(r.text(ev, eat));
        return {};
      }));
      return e;
    }));
  else if (key == "extends") {
    ExtendsConfig e;
    if (v.is_string()) e.service = v.text;
    if (const Node* file = v.find("file")) e.file = BERTH_TRY(r.text(*file, at.child("file")));
    if (const Node* service = v.find("service")) e.service = BERTH_TRY(r.text(*service, at.child("service")));
    s.extends = std::move(e);
  } else if (key == "extra_hosts") s.extra_hosts = BERTH_TRY(r.hosts(v, at));
  else if (key == "gpus")
    s.gpus = BERTH_TRY(list_of<DeviceRequest>(r, v, at, [&](const Node& n, const KeyPath& p) { return r.device_request(n, p); }));
  else if (key == "healthcheck") s.healthcheck = BERTH_TRY(decode_healthcheck(r, v, at));
  else if (key == "init") s.init = BERTH_TRY(r.flag(v, at));
  else if (key == "labels") s.labels = BERTH_TRY(r.mapping(v, at));
  else if (key == "logging") {
    LoggingConfig l;
    BERTH_TRY(for_each_field(r, v, at, [&](const std::string& k, const Node& lv, const KeyPath& lat) -> Result<void> {
      if (k == "driver") l.driver = BERTH_TRY(r.text(lv, lat));
      else if (k == "options") l.options = BERTH_TRY(r.mapping(lv, lat));
      return {};
    }));
    l.extensions = r.extensions(v);
    s.logging = std::move(l);
  } else if (key == "models") {
    BERTH_TRY(for_each_field(r, v, at, [&](const std::string& name, const Node& mv, const KeyPath& mat) -> Result<void> {
      if (mv.is_null()) {
        s.models[name] = std::nullopt;
        return {};
      }
      ServiceModel m;
      BERTH_TRY(for_each_field(r, mv, mat, [&](const std::string& k, const Node& fv, const KeyPath& fat) -> Result<void> {
        if (k == "endpoint_var") m.endpoint_var = BERTH_TRY(r.text(fv, fat));
        else if (k == "model_var") m.model_var = BERTH_TRY(r.text(fv, fat));
        return {};
      }));
      m.extensions = r.extensions(mv);
      s.models[name] = std::move(m);
      return {};
    }));
  } else if (key == "networks") {
    BERTH_TRY(for_each_field(r, v, at, [&](const std::string& name, const Node& nv, const KeyPath& nat) -> Result<void> {
      if (nv.is_null()) {
        s.networks[name] = std::nullopt;
        return {};
      }
      ServiceNetwork n;
      BERTH_TRY(for_each_field(r, nv, nat, [&](const std::string& k, const Node& fv, const KeyPath& fat) -> Result<void> {
        if (k == "aliases") n.aliases = BERTH_TRY(r.strings(fv, fat));
        else if (k == "driver_opts") n.driver_opts = BERTH_TRY(r.mapping(fv, fat));
        else if (k == "gw_priority") n.gw_priority = BERTH_TRY(r.integer(fv, fat));
        else if (k == "interface_name") n.interface_name = BERTH_TRY(r.text(fv, fat));
        else if (k == "ipv4_address") n.ipv4_address = BERTH_TRY(r.text(fv, fat));
        else if (k == "ipv6_address") n.ipv6_address = BERTH_TRY(r.text(fv, fat));
        else if (k == "link_local_ips") n.link_local_ips = BERTH_TRY(r.strings(fv, fat));
        else if (k == "mac_address") n.mac_address = BERTH_TRY(r.text(fv, fat));
        else if (k == "priority") n.priority = BERTH_TRY(r.integer(fv, fat));
        return {};
      }));
      n.extensions = r.extensions(nv);
      s.networks[name] = std::move(n);
      return {};
    }));
  } else if (key == "ports")
    s.ports = BERTH_TRY(list_of<ServicePort>(r, v, at, [&](const Node& n, const KeyPath& p) { return decode_port(r, n, p); }));
  else if (key == "scale") s.scale = BERTH_TRY(r.integer(v, at));
  else if (key == "stop_grace_period") s.stop_grace_period = BERTH_TRY(r.duration(v, at));
  else if (key == "storage_opt") s.storage_opt = BERTH_TRY(r.mapping(v, at));
  else if (key == "sysctls") s.sysctls = BERTH_TRY(r.mapping(v, at));
  else if (key == "ulimits") {
    BERTH_TRY(for_each_field(r, v, at, [&](const std::string& name, const Node& uv, const KeyPath& uat) -> Result<void> {
      s.ulimits[name] = BERTH_TRY(r.ulimit(uv, uat));
      return {};
    }));
  } else if (key == "volumes")
    s.volumes = BERTH_TRY(list_of<ServiceVolume>(r, v, at, [&](const Node& n, const KeyPath& p) { return decode_volume_mount(r, n, p); }));
  else if (key == "pre_start" || key == "post_start" || key == "pre_stop") {
    auto hooks = BERTH_TRY(list_of<ServiceHook>(r, v, at, [&](const Node& n, const KeyPath& p) { return r.hook(n, p); }));
    (key == "pre_start" ? s.pre_start : key == "post_start" ? s.post_start : s.pre_stop) = std::move(hooks);
  }
  return {};
}

}  // namespace

Result<ServiceConfig> decode_service(const Reader& reader, const std::string& name, const Node& node,
                                     const KeyPath& path) {
  ServiceConfig service;
  service.name = name;
  if (node.is_null()) return service;
  BERTH_TRY(reader.expect_mapping(node, path));
  for (const MapEntry& entry : node.entries)
    BERTH_TRY(decode_field(reader, service, entry.key, entry.value, path.child(entry.key)));
  service.extensions = reader.extensions(node);
  return service;
}

}  // namespace berth::compose::detail
