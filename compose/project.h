// The Compose project as berth understands it: one typed, validated, normalised model, built by the loader
// (compose/loader.h) from compose files, .env and the environment, and consumed by the reconciler. Plain structs
// only. The shapes follow the Compose Specification's canonical (long) forms, field for field as the reference
// implementation (compose-go) models them, so that `berth compose config` can print what Docker Compose prints.
//
// Conventions: std::optional marks values the file may leave unset where "unset" differs from zero; durations are
// nanoseconds; byte sizes are bytes; paths are absolute once the loader has resolved them; every struct keeps its
// `x-*` extension fields.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace berth::compose {

struct ValueEntry;

// A free-form value, for extension fields (`x-*`) and the few places where the specification takes any YAML.
struct Value {
  enum class Kind : uint8_t { null, boolean, integer, number, string, list, map };
  Kind kind = Kind::null;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string string;
  std::vector<Value> list;
  std::vector<ValueEntry> map;  // in document order
};

struct ValueEntry {
  std::string key;
  Value value;
};

using Extensions = std::map<std::string, Value>;           // "x-foo" -> value
using Mapping = std::map<std::string, std::string>;         // KEY -> VALUE
using OptionalMapping = std::map<std::string, std::optional<std::string>>;  // nullopt: KEY given without a value
using MultiMapping = std::map<std::string, std::vector<std::string>>;
using Nanoseconds = int64_t;
using Bytes = int64_t;

// `command`, `entrypoint`: nullopt when not set (the image's default applies); an empty vector clears the image's.
struct ShellCommand {
  std::vector<std::string> argv;
  std::optional<std::string> shell_form;  // the string as written, when given as a string (argv is its split)
};

// `secrets` / `configs` of a service, and `build.secrets`.
struct FileReference {
  std::string source;
  std::string target;
  std::string uid;
  std::string gid;
  std::optional<int64_t> mode;  // permission bits (written in octal)
  Extensions extensions;
};

struct Ulimit {
  int64_t single = 0;  // `nofile: 1024` (soft = hard); 0 when given as soft/hard
  int64_t soft = 0;
  int64_t hard = 0;
  Extensions extensions;
};

struct SshKey {
  std::string id;
  std::string path;  // empty for the default agent
};

struct BuildConfig {
  std::string context;
  std::string dockerfile;
  std::string dockerfile_inline;
  std::vector<std::string> entitlements;
  OptionalMapping args;
  std::string provenance;
  std::string sbom;
  std::vector<SshKey> ssh;
  Mapping labels;
  std::vector<std::string> cache_from;
  std::vector<std::string> cache_to;
  bool no_cache = false;
  std::vector<std::string> no_cache_filter;
  Mapping additional_contexts;
  bool pull = false;
  MultiMapping extra_hosts;  // host -> addresses
  std::string isolation;
  std::string network;
  std::string target;
  std::vector<FileReference> secrets;
  Bytes shm_size = 0;
  std::vector<std::string> tags;
  std::map<std::string, Ulimit> ulimits;
  std::vector<std::string> platforms;
  bool privileged = false;
  Extensions extensions;
};

struct ServiceHook {
  std::optional<ShellCommand> command;
  std::string image;
  std::string user;
  bool privileged = false;
  std::string working_dir;
  OptionalMapping environment;
  bool per_replica = false;
  Extensions extensions;
};

struct WatchRule {
  std::string path;
  std::string action;  // sync, rebuild, restart, sync+restart, sync+exec
  std::string target;
  std::optional<ServiceHook> exec;
  std::vector<std::string> include;
  std::vector<std::string> ignore;
  bool initial_sync = false;
  Extensions extensions;
};

struct DevelopConfig {
  std::vector<WatchRule> watch;
  Extensions extensions;
};

struct WeightDevice {
  std::string path;
  uint16_t weight = 0;
  Extensions extensions;
};

struct ThrottleDevice {
  std::string path;
  Bytes rate = 0;
  Extensions extensions;
};

struct BlkioConfig {
  uint16_t weight = 0;
  std::vector<WeightDevice> weight_device;
  std::vector<ThrottleDevice> device_read_bps;
  std::vector<ThrottleDevice> device_read_iops;
  std::vector<ThrottleDevice> device_write_bps;
  std::vector<ThrottleDevice> device_write_iops;
  Extensions extensions;
};

struct CredentialSpec {
  std::string config;
  std::string file;
  std::string registry;
  Extensions extensions;
};

struct ServiceDependency {
  std::string condition;  // service_started, service_healthy, service_completed_successfully
  bool restart = false;
  bool required = true;
  Extensions extensions;
};

struct DeviceRequest {
  std::vector<std::string> capabilities;
  std::string driver;
  int64_t count = 0;  // -1 for "all"
  std::vector<std::string> device_ids;
  Mapping options;
};

struct GenericResource {
  std::string kind;
  int64_t value = 0;
  Extensions extensions;
};

struct Resource {
  float cpus = 0;  // fraction of CPUs ("0.5")
  Bytes memory = 0;
  int64_t pids = 0;
  std::vector<DeviceRequest> devices;
  std::vector<GenericResource> generic_resources;
  Extensions extensions;
};

struct Resources {
  std::optional<Resource> limits;
  std::optional<Resource> reservations;
  Extensions extensions;
};

struct UpdateConfig {
  std::optional<uint64_t> parallelism;
  Nanoseconds delay = 0;
  std::string failure_action;
  Nanoseconds monitor = 0;
  float max_failure_ratio = 0;
  std::string order;
  Extensions extensions;
};

struct RestartPolicy {
  std::string condition;
  std::optional<Nanoseconds> delay;
  std::optional<uint64_t> max_attempts;
  std::optional<Nanoseconds> window;
  Extensions extensions;
};

struct PlacementPreference {
  std::string spread;
  Extensions extensions;
};

struct Placement {
  std::vector<std::string> constraints;
  std::vector<PlacementPreference> preferences;
  uint64_t max_replicas_per_node = 0;
  Extensions extensions;
};

struct DeployConfig {
  std::string mode;
  std::optional<int64_t> replicas;
  Mapping labels;
  std::optional<UpdateConfig> update_config;
  std::optional<UpdateConfig> rollback_config;
  Resources resources;
  std::optional<RestartPolicy> restart_policy;
  Placement placement;
  std::string endpoint_mode;
  Extensions extensions;
};

struct DeviceMapping {
  std::string source;
  std::string target;
  std::string permissions;
  Extensions extensions;
};

struct EnvFile {
  std::string path;
  bool required = true;
  std::string format;
};

struct ExtendsConfig {
  std::string file;
  std::string service;
};

struct HealthCheck {
  std::vector<std::string> test;  // ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]; empty to inherit the image's
  std::optional<Nanoseconds> timeout;
  std::optional<Nanoseconds> interval;
  std::optional<uint64_t> retries;
  std::optional<Nanoseconds> start_period;
  std::optional<Nanoseconds> start_interval;
  bool disable = false;
  Extensions extensions;
};

struct LoggingConfig {
  std::string driver;
  Mapping options;
  Extensions extensions;
};

struct ServiceModel {
  std::string endpoint_var;
  std::string model_var;
  Extensions extensions;
};

struct ServiceNetwork {
  std::vector<std::string> aliases;
  Mapping driver_opts;
  int64_t gw_priority = 0;
  std::string interface_name;
  std::string ipv4_address;
  std::string ipv6_address;
  std::vector<std::string> link_local_ips;
  std::string mac_address;
  int64_t priority = 0;
  Extensions extensions;
};

struct ServicePort {
  std::string name;
  std::string mode;  // ingress or host
  std::string host_ip;
  uint32_t target = 0;
  std::string published;  // a port, a range ("8000-8010") or "" for an ephemeral host port
  std::string protocol;   // tcp, udp, sctp
  std::string app_protocol;
  Extensions extensions;
};

struct VolumeBindOptions {
  std::string selinux;      // z or Z
  std::string propagation;  // rprivate, private, rshared, shared, rslave, slave
  bool create_host_path = true;
  std::string recursive;
  Extensions extensions;
};

struct VolumeVolumeOptions {
  Mapping labels;
  bool nocopy = false;
  std::string subpath;
  Extensions extensions;
};

struct VolumeTmpfsOptions {
  Bytes size = 0;
  uint32_t mode = 0;
  Extensions extensions;
};

struct VolumeImageOptions {
  std::string subpath;
  Extensions extensions;
};

struct ServiceVolume {
  std::string type;    // bind, volume, tmpfs, npipe, cluster, image
  std::string source;  // absolute host path for binds; volume name (empty: anonymous); image reference
  std::string target;
  bool read_only = false;
  std::string consistency;
  std::optional<VolumeBindOptions> bind;
  std::optional<VolumeVolumeOptions> volume;
  std::optional<VolumeTmpfsOptions> tmpfs;
  std::optional<VolumeImageOptions> image;
  Extensions extensions;
};

struct ServiceProvider {
  std::string type;
  MultiMapping options;
  Extensions extensions;
};

struct ServiceConfig {
  std::string name;
  std::vector<std::string> profiles;
  Mapping annotations;
  std::optional<bool> attach;
  std::optional<BuildConfig> build;
  std::optional<DevelopConfig> develop;
  std::optional<BlkioConfig> blkio_config;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::string cgroup_parent;
  std::string cgroup;
  int64_t cpu_count = 0;
  float cpu_percent = 0;
  int64_t cpu_period = 0;
  int64_t cpu_quota = 0;
  int64_t cpu_rt_period = 0;
  int64_t cpu_rt_runtime = 0;
  float cpus = 0;
  std::string cpuset;
  int64_t cpu_shares = 0;
  std::optional<ShellCommand> command;
  std::vector<FileReference> configs;
  std::string container_name;
  std::optional<CredentialSpec> credential_spec;
  std::map<std::string, ServiceDependency> depends_on;
  std::optional<DeployConfig> deploy;
  std::vector<std::string> device_cgroup_rules;
  std::vector<DeviceMapping> devices;
  std::vector<std::string> dns;
  std::vector<std::string> dns_opt;
  std::vector<std::string> dns_search;
  std::string dockerfile;
  std::string domainname;
  std::optional<ShellCommand> entrypoint;
  std::optional<ServiceProvider> provider;
  OptionalMapping environment;  // nullopt values: unset in the container
  std::vector<EnvFile> env_file;
  std::vector<std::string> expose;
  std::optional<ExtendsConfig> extends;
  std::vector<std::string> external_links;
  MultiMapping extra_hosts;  // host -> addresses
  std::vector<std::string> group_add;
  std::vector<DeviceRequest> gpus;
  std::string hostname;
  std::optional<HealthCheck> healthcheck;
  std::string image;
  std::optional<bool> init;
  std::string ipc;
  std::string isolation;
  Mapping labels;
  std::vector<std::string> label_file;
  std::vector<std::string> links;
  std::optional<LoggingConfig> logging;
  std::string log_driver;
  Mapping log_opt;
  Bytes mem_limit = 0;
  Bytes mem_reservation = 0;
  Bytes memswap_limit = 0;
  Bytes mem_swappiness = 0;
  std::string mac_address;
  std::map<std::string, std::optional<ServiceModel>> models;
  std::string net;
  std::string network_mode;
  std::map<std::string, std::optional<ServiceNetwork>> networks;  // nullopt: attached with no options
  bool oom_kill_disable = false;
  int64_t oom_score_adj = 0;
  std::string pid;
  int64_t pids_limit = 0;
  std::string platform;
  std::vector<ServicePort> ports;
  bool privileged = false;
  std::string pull_policy;
  bool read_only = false;
  std::string restart;
  std::string runtime;
  std::optional<int64_t> scale;
  std::vector<FileReference> secrets;
  std::vector<std::string> security_opt;
  Bytes shm_size = 0;
  bool stdin_open = false;
  std::optional<Nanoseconds> stop_grace_period;
  std::string stop_signal;
  Mapping storage_opt;
  Mapping sysctls;
  std::vector<std::string> tmpfs;
  bool tty = false;
  std::map<std::string, Ulimit> ulimits;
  bool use_api_socket = false;
  std::string user;
  std::string userns_mode;
  std::string uts;
  std::string volume_driver;
  std::vector<ServiceVolume> volumes;
  std::vector<std::string> volumes_from;
  std::string working_dir;
  std::vector<ServiceHook> pre_start;
  std::vector<ServiceHook> post_start;
  std::vector<ServiceHook> pre_stop;
  Extensions extensions;

  // Replicas to run: `scale`, else `deploy.replicas`, else 1.
  int64_t replicas() const;
};

struct IpamPool {
  std::string subnet;
  std::string gateway;
  std::string ip_range;
  Mapping aux_addresses;
  Extensions extensions;
};

struct IpamConfig {
  std::string driver;
  std::vector<IpamPool> config;
  Mapping options;
  Extensions extensions;
};

struct NetworkConfig {
  std::string name;
  std::string driver;
  Mapping driver_opts;
  IpamConfig ipam;
  bool external = false;
  bool internal = false;
  bool attachable = false;
  Mapping labels;
  std::optional<bool> enable_ipv4;
  std::optional<bool> enable_ipv6;
  Extensions extensions;
};

struct VolumeConfig {
  std::string name;
  std::string driver;
  Mapping driver_opts;
  bool external = false;
  Mapping labels;
  Extensions extensions;
};

// Top-level `secrets` and `configs`.
struct FileObjectConfig {
  std::string name;
  std::string file;
  std::string environment;
  std::string content;  // `content:` as written, or the value of `environment` once resolved (never printed)
  bool content_from_environment = false;
  bool external = false;
  Mapping labels;
  std::string driver;
  Mapping driver_opts;
  std::string template_driver;
  Extensions extensions;
};

struct ModelConfig {
  std::string name;
  std::string model;
  int64_t context_size = 0;
  std::vector<std::string> runtime_flags;
  Extensions extensions;
};

struct Project {
  std::string name;
  std::string working_dir;                 // the project directory (absolute)
  std::vector<std::string> compose_files;  // absolute paths, in the order they were merged
  std::map<std::string, ServiceConfig> services;           // enabled services
  std::map<std::string, ServiceConfig> disabled_services;  // services left out by profiles or selection
  std::map<std::string, NetworkConfig> networks;
  std::map<std::string, VolumeConfig> volumes;
  std::map<std::string, FileObjectConfig> secrets;
  std::map<std::string, FileObjectConfig> configs;
  std::map<std::string, ModelConfig> models;
  Extensions extensions;
  std::vector<std::string> profiles;  // the profiles that were enabled
  Mapping environment;                // what interpolation saw (process environment over .env)

  // Service names in dependency order: every service after those it depends on (ties by name).
  std::vector<std::string> services_in_dependency_order() const;
};

}  // namespace berth::compose
