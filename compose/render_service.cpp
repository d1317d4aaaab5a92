// Printing services for `config`: ServiceConfig and everything in it, in the reference's field order.
#include <cstdio>

#include "compose/render_internal.h"

namespace berth::compose::detail {

OutValue ServicePrinter::command(const std::optional<ShellCommand>& value) const {
  if (!value) return OutValue::null();
  return strings(value->argv);
}

OutValue ServicePrinter::file_reference(const FileReference& f) const {
  OutValue m = OutValue::map(false);
  text(m, "source", f.source);
  text(m, "target", f.target);
  text(m, "uid", f.uid);
  text(m, "gid", f.gid);
  if (f.mode) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "0%llo", static_cast<unsigned long long>(*f.mode));
    m.add("mode", OutValue::of(std::string(buffer)));
  }
  extensions(m, f.extensions);
  return m;
}

OutValue ServicePrinter::ulimit(const Ulimit& u) const {
  if (u.single != 0) return OutValue::of(u.single);
  OutValue m = OutValue::map(false);
  if (json_) {
    integer(m, "soft", u.soft);
    integer(m, "hard", u.hard);
    return m;
  }
  m.add("soft", OutValue::of(u.soft));
  m.add("hard", OutValue::of(u.hard));
  return m;
}

OutValue ServicePrinter::hook(const ServiceHook& h) const {
  OutValue m = OutValue::map(false);
  if (h.command || json_) m.add("command", command(h.command));
  text(m, "image", h.image);
  text(m, "user", h.user);
  flag(m, "privileged", h.privileged);
  text(m, "working_dir", h.working_dir);
  optional_map(m, "environment", h.environment);
  flag(m, "per_replica", h.per_replica);
  extensions(m, h.extensions);
  return m;
}

OutValue ServicePrinter::device_request(const DeviceRequest& d) const {
  OutValue m = OutValue::map(false);
  string_list(m, "capabilities", d.capabilities);
  text(m, "driver", d.driver);
  integer(m, "count", d.count);
  string_list(m, "device_ids", d.device_ids);
  string_map(m, "options", d.options);
  return m;
}

OutValue ServicePrinter::build(const BuildConfig& b) const {
  OutValue m = OutValue::map(false);
  text(m, "context", b.context);
  text(m, "dockerfile", b.dockerfile);
  text(m, "dockerfile_inline", b.dockerfile_inline);
  string_list(m, "entitlements", b.entitlements);
  optional_map(m, "args", b.args);
  text(m, "provenance", b.provenance);
  text(m, "sbom", b.sbom);
  if (!b.ssh.empty()) {
    OutValue list = OutValue::list();
    for (const SshKey& key : b.ssh)
      list.items.push_back(OutValue::of(key.path.empty() ? key.id : key.id + (json_ ? "=" : ": ") + key.path));
    m.add("ssh", std::move(list));
  }
  string_map(m, "labels", b.labels);
  string_list(m, "cache_from", b.cache_from);
  string_list(m, "cache_to", b.cache_to);
  flag(m, "no_cache", b.no_cache);
  string_list(m, "no_cache_filter", b.no_cache_filter);
  string_map(m, "additional_contexts", b.additional_contexts);
  flag(m, "pull", b.pull);
  hosts(m, "extra_hosts", b.extra_hosts);
  text(m, "isolation", b.isolation);
  text(m, "network", b.network);
  text(m, "target", b.target);
  if (!b.secrets.empty()) {
    OutValue list = OutValue::list();
    for (const FileReference& f : b.secrets) list.items.push_back(file_reference(f));
    m.add("secrets", std::move(list));
  }
  bytes(m, "shm_size", b.shm_size);
  string_list(m, "tags", b.tags);
  if (!b.ulimits.empty()) m.add("ulimits", sorted_map(b.ulimits, [&](const Ulimit& u) { return ulimit(u); }));
  string_list(m, "platforms", b.platforms);
  flag(m, "privileged", b.privileged);
  extensions(m, b.extensions);
  return m;
}

OutValue ServicePrinter::develop(const DevelopConfig& d) const {
  OutValue m = OutValue::map(false);
  if (!d.watch.empty()) {
    OutValue list = OutValue::list();
    for (const WatchRule& w : d.watch) {
      OutValue rule = OutValue::map(false);
      rule.add("path", OutValue::of(w.path));
      rule.add("action", OutValue::of(w.action));
      text(rule, "target", w.target);
      if (w.exec) rule.add("exec", hook(*w.exec));
      else if (json_) rule.add("exec", hook(ServiceHook{}));
      string_list(rule, "include", w.include);
      string_list(rule, "ignore", w.ignore);
      flag(rule, "initial_sync", w.initial_sync);
      extensions(rule, w.extensions);
      list.items.push_back(std::move(rule));
    }
    m.add("watch", std::move(list));
  }
  extensions(m, d.extensions);
  return m;
}

OutValue ServicePrinter::throttle(const std::vector<ThrottleDevice>& devices) const {
  OutValue list = OutValue::list();
  for (const ThrottleDevice& d : devices) {
    OutValue m = OutValue::map(false);
    m.add(json_ ? "Path" : "path", OutValue::of(d.path));
    m.add(json_ ? "Rate" : "rate", OutValue::of(std::to_string(d.rate)));
    extensions(m, d.extensions);
    list.items.push_back(std::move(m));
  }
  return list;
}

OutValue ServicePrinter::blkio(const BlkioConfig& b) const {
  OutValue m = OutValue::map(false);
  integer(m, "weight", b.weight);
  if (!b.weight_device.empty()) {
    OutValue list = OutValue::list();
    for (const WeightDevice& d : b.weight_device) {
      OutValue device = OutValue::map(false);
      device.add(json_ ? "Path" : "path", OutValue::of(d.path));
      device.add(json_ ? "Weight" : "weight", OutValue::of(static_cast<int64_t>(d.weight)));
      extensions(device, d.extensions);
      list.items.push_back(std::move(device));
    }
    m.add("weight_device", std::move(list));
  }
  if (!b.device_read_bps.empty()) m.add("device_read_bps", throttle(b.device_read_bps));
  if (!b.device_read_iops.empty()) m.add("device_read_iops", throttle(b.device_read_iops));
  if (!b.device_write_bps.empty()) m.add("device_write_bps", throttle(b.device_write_bps));
  if (!b.device_write_iops.empty()) m.add("device_write_iops", throttle(b.device_write_iops));
  extensions(m, b.extensions);
  return m;
}

OutValue ServicePrinter::update(const UpdateConfig& u) const {
  OutValue m = OutValue::map(false);
  if (u.parallelism) m.add("parallelism", OutValue::of(static_cast<int64_t>(*u.parallelism)));
  if (u.delay) m.add("delay", OutValue::of(go_duration_string(u.delay)));
  text(m, "failure_action", u.failure_action);
  if (u.monitor) m.add("monitor", OutValue::of(go_duration_string(u.monitor)));
  float32(m, "max_failure_ratio", u.max_failure_ratio);
  text(m, "order", u.order);
  extensions(m, u.extensions);
  return m;
}

OutValue ServicePrinter::resource(const Resource& r) const {
  OutValue m = OutValue::map(false);
  float32(m, "cpus", r.cpus);
  bytes(m, "memory", r.memory);
  integer(m, "pids", r.pids);
  if (!r.devices.empty()) {
    OutValue list = OutValue::list();
    for (const DeviceRequest& d : r.devices) list.items.push_back(device_request(d));
    m.add("devices", std::move(list));
  }
  if (!r.generic_resources.empty()) {
    OutValue list = OutValue::list();
    for (const GenericResource& g : r.generic_resources) {
      OutValue spec = OutValue::map(false);
      spec.add("kind", OutValue::of(g.kind));
      spec.add("value", OutValue::of(g.value));
      extensions(spec, g.extensions);
      OutValue item = OutValue::map(false);
      item.add("discrete_resource_spec", std::move(spec));
      list.items.push_back(std::move(item));
    }
    m.add("generic_resources", std::move(list));
  }
  extensions(m, r.extensions);
  return m;
}

OutValue ServicePrinter::deploy(const DeployConfig& d) const {
  OutValue m = OutValue::map(false);
  text(m, "mode", d.mode);
  if (d.replicas) m.add("replicas", OutValue::of(*d.replicas));
  string_map(m, "labels", d.labels);
  if (d.update_config) m.add("update_config", update(*d.update_config));
  if (d.rollback_config) m.add("rollback_config", update(*d.rollback_config));
  {
    OutValue resources = OutValue::map(false);
    if (d.resources.limits) resources.add("limits", resource(*d.resources.limits));
    if (d.resources.reservations) resources.add("reservations", resource(*d.resources.reservations));
    extensions(resources, d.resources.extensions);
    if (!resources.entries.empty() || json_) m.add("resources", std::move(resources));
  }
  if (d.restart_policy) {
    OutValue policy = OutValue::map(false);
    text(policy, "condition", d.restart_policy->condition);
    duration(policy, "delay", d.restart_policy->delay);
    if (d.restart_policy->max_attempts)
      policy.add("max_attempts", OutValue::of(static_cast<int64_t>(*d.restart_policy->max_attempts)));
    duration(policy, "window", d.restart_policy->window);
    extensions(policy, d.restart_policy->extensions);
    m.add("restart_policy", std::move(policy));
  }
  {
    OutValue placement = OutValue::map(false);
    string_list(placement, "constraints", d.placement.constraints);
    if (!d.placement.preferences.empty()) {
      OutValue list = OutValue::list();
      for (const PlacementPreference& p : d.placement.preferences) {
        OutValue pref = OutValue::map(false);
        text(pref, "spread", p.spread);
        extensions(pref, p.extensions);
        list.items.push_back(std::move(pref));
      }
      placement.add("preferences", std::move(list));
    }
    integer(placement, "max_replicas_per_node", static_cast<int64_t>(d.placement.max_replicas_per_node));
    extensions(placement, d.placement.extensions);
    if (!placement.entries.empty() || json_) m.add("placement", std::move(placement));
  }
  text(m, "endpoint_mode", d.endpoint_mode);
  extensions(m, d.extensions);
  return m;
}

OutValue ServicePrinter::healthcheck(const HealthCheck& h) const {
  OutValue m = OutValue::map(false);
  string_list(m, "test", h.test);
  duration(m, "timeout", h.timeout);
  duration(m, "interval", h.interval);
  if (h.retries) m.add("retries", OutValue::of(static_cast<int64_t>(*h.retries)));
  duration(m, "start_period", h.start_period);
  duration(m, "start_interval", h.start_interval);
  flag(m, "disable", h.disable);
  extensions(m, h.extensions);
  return m;
}

OutValue ServicePrinter::port(const ServicePort& p) const {
  OutValue m = OutValue::map(false);
  text(m, "name", p.name);
  text(m, "mode", p.mode);
  text(m, "host_ip", p.host_ip);
  integer(m, "target", p.target);
  text(m, "published", p.published);
  text(m, "protocol", p.protocol);
  text(m, "app_protocol", p.app_protocol);
  extensions(m, p.extensions);
  return m;
}

OutValue ServicePrinter::volume_mount(const ServiceVolume& v) const {
  OutValue m = OutValue::map(false);
  text(m, "type", v.type);
  text(m, "source", v.source);
  text(m, "target", v.target);
  flag(m, "read_only", v.read_only);
  text(m, "consistency", v.consistency);
  if (v.bind) {
    OutValue b = OutValue::map(false);
    text(b, "selinux", v.bind->selinux);
    text(b, "propagation", v.bind->propagation);
    if (!v.bind->create_host_path) b.add("create_host_path", OutValue::of(false));  // true is the default
    text(b, "recursive", v.bind->recursive);
    extensions(b, v.bind->extensions);
    m.add("bind", std::move(b));
  }
  if (v.volume) {
    OutValue o = OutValue::map(false);
    string_map(o, "labels", v.volume->labels);
    flag(o, "nocopy", v.volume->nocopy);
    text(o, "subpath", v.volume->subpath);
    extensions(o, v.volume->extensions);
    m.add("volume", std::move(o));
  }
  if (v.tmpfs) {
    OutValue t = OutValue::map(false);
    bytes(t, "size", v.tmpfs->size);
    integer(t, "mode", v.tmpfs->mode);
    extensions(t, v.tmpfs->extensions);
    m.add("tmpfs", std::move(t));
  }
  if (v.image) {
    OutValue i = OutValue::map(false);
    text(i, "subpath", v.image->subpath);
    extensions(i, v.image->extensions);
    m.add("image", std::move(i));
  }
  extensions(m, v.extensions);
  return m;
}

OutValue ServicePrinter::service_network(const std::optional<ServiceNetwork>& value) const {
  if (!value) return OutValue::null();
  const ServiceNetwork& n = *value;
  OutValue m = OutValue::map(false);
  string_list(m, "aliases", n.aliases);
  string_map(m, "driver_opts", n.driver_opts);
  integer(m, "gw_priority", n.gw_priority);
  text(m, "interface_name", n.interface_name);
  text(m, "ipv4_address", n.ipv4_address);
  text(m, "ipv6_address", n.ipv6_address);
  string_list(m, "link_local_ips", n.link_local_ips);
  text(m, "mac_address", n.mac_address);
  integer(m, "priority", n.priority);
  extensions(m, n.extensions);
  return m;
}

OutValue ServicePrinter::service(const ServiceConfig& s) const {
  OutValue m = OutValue::map(false);
  string_list(m, "profiles", s.profiles);
  string_map(m, "annotations", s.annotations);
  if (s.attach) m.add("attach", OutValue::of(*s.attach));
  if (s.build) m.add("build", build(*s.build));
  if (s.develop) m.add("develop", develop(*s.develop));
  if (s.blkio_config) m.add("blkio_config", blkio(*s.blkio_config));
  string_list(m, "cap_add", s.cap_add);
  string_list(m, "cap_drop", s.cap_drop);
  text(m, "cgroup_parent", s.cgroup_parent);
  text(m, "cgroup", s.cgroup);
  integer(m, "cpu_count", s.cpu_count);
  float32(m, "cpu_percent", s.cpu_percent);
  integer(m, "cpu_period", s.cpu_period);
  integer(m, "cpu_quota", s.cpu_quota);
  integer(m, "cpu_rt_period", s.cpu_rt_period);
  integer(m, "cpu_rt_runtime", s.cpu_rt_runtime);
  float32(m, "cpus", s.cpus);
  text(m, "cpuset", s.cpuset);
  integer(m, "cpu_shares", s.cpu_shares);
  if (s.command || json_) m.add("command", command(s.command));
  list(m, "configs", s.configs, [&](const FileReference& f) { return file_reference(f); });
  text(m, "container_name", s.container_name);
  if (s.credential_spec) {
    OutValue c = OutValue::map(false);
    text(c, "config", s.credential_spec->config);
    text(c, "file", s.credential_spec->file);
    text(c, "registry", s.credential_spec->registry);
    extensions(c, s.credential_spec->extensions);
    m.add("credential_spec", std::move(c));
  }
  if (!s.depends_on.empty()) {
    m.add("depends_on", sorted_map(s.depends_on, [&](const ServiceDependency& d) {
      OutValue dependency = OutValue::map(false);
      text(dependency, "condition", d.condition);
      flag(dependency, "restart", d.restart);
      dependency.add("required", OutValue::of(d.required));
      extensions(dependency, d.extensions);
      return dependency;
    }));
  }
  if (s.deploy) m.add("deploy", deploy(*s.deploy));
  string_list(m, "device_cgroup_rules", s.device_cgroup_rules);
  list(m, "devices", s.devices, [&](const DeviceMapping& d) {
    OutValue device = OutValue::map(false);
    text(device, "source", d.source);
    text(device, "target", d.target);
    text(device, "permissions", d.permissions);
    extensions(device, d.extensions);
    return device;
  });
  string_list(m, "dns", s.dns);
  string_list(m, "dns_opt", s.dns_opt);
  string_list(m, "dns_search", s.dns_search);
  text(m, "dockerfile", s.dockerfile);
  text(m, "domainname", s.domainname);
  if (s.entrypoint || json_) m.add("entrypoint", command(s.entrypoint));
  if (s.provider) {
    OutValue p = OutValue::map(false);
    text(p, "type", s.provider->type);
    multi_map(p, "options", s.provider->options);
    extensions(p, s.provider->extensions);
    m.add("provider", std::move(p));
  }
  optional_map(m, "environment", s.environment);
  list(m, "env_file", s.env_file, [&](const EnvFile& e) {
    OutValue file = OutValue::map(false);
    text(file, "path", e.path);
    if (!e.required) file.add("required", OutValue::of(false));  // true is the default
    text(file, "format", e.format);
    return file;
  });
  string_list(m, "expose", s.expose);
  if (s.extends) {
    OutValue e = OutValue::map(false);
    text(e, "file", s.extends->file);
    text(e, "service", s.extends->service);
    m.add("extends", std::move(e));
  }
  string_list(m, "external_links", s.external_links);
  hosts(m, "extra_hosts", s.extra_hosts);
  string_list(m, "group_add", s.group_add);
  list(m, "gpus", s.gpus, [&](const DeviceRequest& d) { return device_request(d); });
  text(m, "hostname", s.hostname);
  if (s.healthcheck) m.add("healthcheck", healthcheck(*s.healthcheck));
  text(m, "image", s.image);
  if (s.init) m.add("init", OutValue::of(*s.init));
  text(m, "ipc", s.ipc);
  text(m, "isolation", s.isolation);
  string_map(m, "labels", s.labels);
  string_list(m, "label_file", s.label_file);
  string_list(m, "links", s.links);
  if (s.logging) {
    OutValue l = OutValue::map(false);
    text(l, "driver", s.logging->driver);
    string_map(l, "options", s.logging->options);
    extensions(l, s.logging->extensions);
    m.add("logging", std::move(l));
  }
  text(m, "log_driver", s.log_driver);
  string_map(m, "log_opt", s.log_opt);
  bytes(m, "mem_limit", s.mem_limit);
  bytes(m, "mem_reservation", s.mem_reservation);
  bytes(m, "memswap_limit", s.memswap_limit);
  bytes(m, "mem_swappiness", s.mem_swappiness);
  text(m, "mac_address", s.mac_address);
  if (!s.models.empty()) {
    m.add("models", sorted_map(s.models, [&](const std::optional<ServiceModel>& model) {
      if (!model) return OutValue::null();
      OutValue out = OutValue::map(false);
      text(out, "endpoint_var", model->endpoint_var);
      text(out, "model_var", model->model_var);
      extensions(out, model->extensions);
      return out;
    }));
  }
  text(m, "net", s.net);
  text(m, "network_mode", s.network_mode);
  if (!s.networks.empty())
    m.add("networks", sorted_map(s.networks, [&](const std::optional<ServiceNetwork>& n) { return service_network(n); }));
  flag(m, "oom_kill_disable", s.oom_kill_disable);
  integer(m, "oom_score_adj", s.oom_score_adj);
  text(m, "pid", s.pid);
  integer(m, "pids_limit", s.pids_limit);
  text(m, "platform", s.platform);
  list(m, "ports", s.ports, [&](const ServicePort& p) { return port(p); });
  flag(m, "privileged", s.privileged);
  text(m, "pull_policy", s.pull_policy);
  flag(m, "read_only", s.read_only);
  text(m, "restart", s.restart);
  text(m, "runtime", s.runtime);
  if (s.scale) m.add("scale", OutValue::of(*s.scale));
  list(m, "secrets", s.secrets, [&](const FileReference& f) { return file_reference(f); });
  string_list(m, "security_opt", s.security_opt);
  bytes(m, "shm_size", s.shm_size);
  flag(m, "stdin_open", s.stdin_open);
  duration(m, "stop_grace_period", s.stop_grace_period);
  text(m, "stop_signal", s.stop_signal);
  string_map(m, "storage_opt", s.storage_opt);
  string_map(m, "sysctls", s.sysctls);
  string_list(m, "tmpfs", s.tmpfs);
  flag(m, "tty", s.tty);
  if (!s.ulimits.empty()) m.add("ulimits", sorted_map(s.ulimits, [&](const Ulimit& u) { return ulimit(u); }));
  flag(m, "use_api_socket", s.use_api_socket);
  text(m, "user", s.user);
  text(m, "userns_mode", s.userns_mode);
  text(m, "uts", s.uts);
  text(m, "volume_driver", s.volume_driver);
  list(m, "volumes", s.volumes, [&](const ServiceVolume& v) { return volume_mount(v); });
  string_list(m, "volumes_from", s.volumes_from);
  text(m, "working_dir", s.working_dir);
  list(m, "pre_start", s.pre_start, [&](const ServiceHook& h) { return hook(h); });
  list(m, "post_start", s.post_start, [&](const ServiceHook& h) { return hook(h); });
  list(m, "pre_stop", s.pre_stop, [&](const ServiceHook& h) { return hook(h); });
  extensions(m, s.extensions);
  return m;
}

}  // namespace berth::compose::detail
