#include "compose/merge.h"

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "compose/diagnostic.h"
#include "compose/volume_spec.h"

namespace berth::compose {

namespace {

enum class MergeRule {
  plain,
  to_sequence,
  build,
  extra_hosts,
  replace,
  depends_on,
  logging,
  to_mapping,
  ulimit,
  ipam_config,
};

struct MergePattern {
  const char* pattern;
  MergeRule rule;
};

constexpr MergePattern kMergePatterns[] = {
    {"networks.*.ipam.config", MergeRule::ipam_config},
    {"networks.*.labels", MergeRule::to_sequence},
    {"volumes.*.labels", MergeRule::to_sequence},
    {"services.*.annotations", MergeRule::to_sequence},
    {"services.*.build", MergeRule::build},
    {"services.*.build.args", MergeRule::to_sequence},
    {"services.*.build.additional_contexts", MergeRule::to_sequence},
    {"services.*.build.extra_hosts", MergeRule::extra_hosts},
    {"services.*.build.labels", MergeRule::to_sequence},
    {"services.*.command", MergeRule::replace},
    {"services.*.depends_on", MergeRule::depends_on},
    {"services.*.deploy.labels", MergeRule::to_sequence},
    {"services.*.dns", MergeRule::to_sequence},
    {"services.*.dns_opt", MergeRule::to_sequence},
    {"services.*.dns_search", MergeRule::to_sequence},
    {"services.*.entrypoint", MergeRule::replace},
    {"services.*.env_file", MergeRule::to_sequence},
    {"services.*.label_file", MergeRule::to_sequence},
    {"services.*.environment", MergeRule::to_sequence},
    {"services.*.extra_hosts", MergeRule::extra_hosts},
    {"services.*.healthcheck.test", MergeRule::replace},
    {"services.*.labels", MergeRule::to_sequence},
    {"services.*.volumes.*.volume.labels", MergeRule::to_sequence},
    {"services.*.logging", MergeRule::logging},
    {"services.*.models", MergeRule::to_mapping},
    {"services.*.networks", MergeRule::to_mapping},
    {"services.*.sysctls", MergeRule::to_sequence},
    {"services.*.tmpfs", MergeRule::to_sequence},
    {"services.*.ulimits.*", MergeRule::ulimit},
    // An argument vector, replaced like `command`. compose-go appends it; its own test (disabled upstream) expects
    // it replaced, and so do we.
    {"models.*.runtime_flags", MergeRule::replace},
};

MergeRule rule_for(const TreePath& path) {
  static const PathPatterns<MergeRule> patterns(kMergePatterns, &MergePattern::rule);
  const MergeRule* rule = patterns.match(path);
  return rule ? *rule : MergeRule::plain;
}

// A KEY=VALUE sequence from a mapping (sorted, null values as bare KEY, list values as one entry each), a sequence
// (as is) or a string (one entry).
Node to_sequence(Node value) {
  if (value.is_sequence()) return value;
  Node out = Node::sequence(value.mark);
  if (value.is_mapping()) {
    std::vector<Node> items;
    for (MapEntry& entry : value.entries) {
      if (entry.value.is_null()) {
        items.push_back(Node::string(entry.key, entry.key_mark));
      } else if (entry.value.is_sequence()) {
        for (const Node& item : entry.value.items)
          items.push_back(Node::string(entry.key + "=" + item.scalar_string(), item.mark));
      } else {
        items.push_back(Node::string(entry.key + "=" + entry.value.scalar_string(), entry.value.mark));
      }
    }
    std::sort(items.begin(), items.end(), [](const Node& a, const Node& b) { return a.text < b.text; });
    out.items = std::move(items);
  } else if (value.is_string()) {
    out.items.push_back(std::move(value));
  }
  return out;
}

// A mapping from a list of names (each mapped to a copy of `defaults`, or null), or the mapping itself.
Node to_mapping(Node value, const Node* defaults) {
  if (value.is_mapping()) return value;
  MappingBuilder out(value.mark);
  if (value.is_sequence()) {
    for (Node& item : value.items) {
      Node entry_value = defaults ? *defaults : Node::null_value(item.mark);
      if (defaults) {
        entry_value.mark = item.mark;
        for (MapEntry& e : entry_value.entries) e.value.mark = e.key_mark = item.mark;
      }
      out.set(item.scalar_string(), std::move(entry_value), item.mark);
    }
  }
  return std::move(out).take();
}

Result<Node> merge_value(Node base, Node overriding, TreePath& path);

Result<void> merge_mappings(Node& mapping, Node other, TreePath& path) {
  if (!mapping.is_mapping()) mapping = Node::mapping(other.mark);
  // Positions by key: keys are unique in both mappings, and large ones must not merge in quadratic time.
  std::unordered_map<std::string, size_t> positions;
  positions.reserve(mapping.entries.size());
  for (size_t i = 0; i < mapping.entries.size(); ++i) positions.emplace(mapping.entries[i].key, i);
  for (MapEntry& entry : other.entries) {
    auto found = positions.find(entry.key);
    if (found == positions.end()) {
      positions.emplace(entry.key, mapping.entries.size());
      mapping.entries.push_back(std::move(entry));
      continue;
    }
    path.push(entry.key);
    Node& existing = mapping.entries[found->second].value;
    auto merged = merge_value(std::move(existing), std::move(entry.value), path);
    path.pop();
    if (!merged) return merged.error();
    mapping.entries[found->second].value = std::move(*merged);
  }
  return {};
}

std::string subnet_of(const Node& config) {
  const Node* subnet = config.is_mapping() ? config.find("subnet") : nullptr;
  return subnet ? "s:" + subnet->scalar_string() : "absent";
}

// compose-go's mergeIPAMConfig, including its habit of merging an override into the base pool it is compared
// with (the pool objects are shared, as Go maps are).
Result<Node> merge_ipam_config(Node base, Node overriding, TreePath& path) {
  if (!base.is_sequence() || !overriding.is_sequence())
    return located_error(overriding.mark, path.str(), "expected a list of IPAM pools");
  std::vector<std::shared_ptr<Node>> lefts;
  for (Node& item : overriding.items) lefts.push_back(std::make_shared<Node>(to_mapping(std::move(item), nullptr)));
  std::vector<std::shared_ptr<Node>> result;
  auto find_subnet = [&](const std::string& subnet) {
    for (size_t i = 0; i < result.size(); ++i)
      if (subnet_of(*result[i]) == subnet) return static_cast<ptrdiff_t>(i);
    return ptrdiff_t{-1};
  };
  for (Node& original : base.items) {
    auto right = std::make_shared<Node>(to_mapping(std::move(original), nullptr));
    for (const auto& left : lefts) {
      if (subnet_of(*left) != subnet_of(*right) && find_subnet(subnet_of(*left)) < 0) {
        result.push_back(left);
        continue;
      }
      BERTH_TRY(merge_mappings(*right, *left, path));
      ptrdiff_t index = find_subnet(subnet_of(*right));
      if (index >= 0) result[static_cast<size_t>(index)] = right;
      else result.push_back(right);
    }
  }
  Node out = Node::sequence(base.mark);
  for (const auto& item : result) out.items.push_back(*item);
  return out;
}

Result<Node> merge_value(Node base, Node overriding, TreePath& path) {
  switch (rule_for(path)) {
    case MergeRule::plain: break;
    case MergeRule::replace: return overriding;
    case MergeRule::ulimit: return overriding;
    case MergeRule::to_sequence: {
      Node right = to_sequence(std::move(base));
      Node left = to_sequence(std::move(overriding));
      for (Node& item : left.items) right.items.push_back(std::move(item));
      return right;
    }
    case MergeRule::extra_hosts: {
      Node right = to_sequence(std::move(base));
      Node left = to_sequence(std::move(overriding));
      std::unordered_set<std::string> present;
      for (const Node& item : right.items) present.insert(item.scalar_string());
      for (Node& item : left.items)
        if (!present.count(item.scalar_string())) right.items.push_back(std::move(item));
      return right;
    }
    case MergeRule::build: {
      auto as_build = [](Node value) {
        if (value.is_string()) {
          Node build = Node::mapping(value.mark);
          build.set("context", std::move(value));
          return build;
        }
        return value.is_mapping() ? std::move(value) : Node::mapping(value.mark);
      };
      Node right = as_build(std::move(base));
      BERTH_TRY(merge_mappings(right, as_build(std::move(overriding)), path));
      return right;
    }
    case MergeRule::depends_on: {
      Node defaults = Node::mapping();
      defaults.set("condition", Node::string("service_started"));
      defaults.set("required", Node::boolean(true));
      Node right = to_mapping(std::move(base), &defaults);
      BERTH_TRY(merge_mappings(right, to_mapping(std::move(overriding), &defaults), path));
      return right;
    }
    case MergeRule::to_mapping: {
      Node right = to_mapping(std::move(base), nullptr);
      BERTH_TRY(merge_mappings(right, to_mapping(std::move(overriding), nullptr), path));
      return right;
    }
    case MergeRule::logging: {
      if (!base.is_mapping() || !overriding.is_mapping()) return overriding.is_null() ? base : overriding;
      const Node* other_driver = overriding.find("driver");
      const Node* base_driver = base.find("driver");
      // Options merge only when both name the same driver, or either leaves it implicit.
      if (!other_driver || !base_driver || same_value(*other_driver, *base_driver)) {
        BERTH_TRY(merge_mappings(base, std::move(overriding), path));
        return base;
      }
      return overriding;
    }
    case MergeRule::ipam_config: return merge_ipam_config(std::move(base), std::move(overriding), path);
  }
  if (overriding.is_null()) return base;
  if (base.is_mapping()) {
    if (!overriding.is_mapping())
      return located_error(overriding.mark, path.str(),
                           "cannot override a mapping with " + describe_kind(overriding));
    BERTH_TRY(merge_mappings(base, std::move(overriding), path));
    return base;
  }
  if (base.is_sequence()) {
    if (!overriding.is_sequence())
      return located_error(overriding.mark, path.str(), "cannot override a list with " + describe_kind(overriding));
    for (Node& item : overriding.items) base.items.push_back(std::move(item));
    return base;
  }
  return overriding;
}

// ---- unicity ----

enum class Indexer { key_value, volume, device, mount_root, mount_secrets, expose, port, env_file };

struct UnicityPattern {
  const char* pattern;
  Indexer indexer;
};

constexpr UnicityPattern kUnicityPatterns[] = {
    {"networks.*.labels", Indexer::key_value},
    {"networks.*.ipam.options", Indexer::key_value},
    {"services.*.annotations", Indexer::key_value},
    {"services.*.build.args", Indexer::key_value},
    {"services.*.build.additional_contexts", Indexer::key_value},
    {"services.*.build.platform", Indexer::key_value},
    {"services.*.build.tags", Indexer::key_value},
    {"services.*.build.labels", Indexer::key_value},
    {"services.*.cap_add", Indexer::key_value},
    {"services.*.cap_drop", Indexer::key_value},
    {"services.*.devices", Indexer::device},
    {"services.*.configs", Indexer::mount_root},
    {"services.*.deploy.labels", Indexer::key_value},
    {"services.*.dns", Indexer::key_value},
    {"services.*.dns_opt", Indexer::key_value},
    {"services.*.dns_search", Indexer::key_value},
    {"services.*.environment", Indexer::key_value},
    {"services.*.env_file", Indexer::env_file},
    {"services.*.expose", Indexer::expose},
    {"services.*.labels", Indexer::key_value},
    {"services.*.links", Indexer::key_value},
    {"services.*.networks.*.aliases", Indexer::key_value},
    {"services.*.networks.*.link_local_ips", Indexer::key_value},
    {"services.*.ports", Indexer::port},
    {"services.*.profiles", Indexer::key_value},
    {"services.*.secrets", Indexer::mount_secrets},
    {"services.*.sysctls", Indexer::key_value},
    {"services.*.tmpfs", Indexer::key_value},
    {"services.*.volumes", Indexer::volume},
};

Result<std::string> index_of(Indexer indexer, const Node& entry, const TreePath& path) {
  switch (indexer) {
    case Indexer::key_value:
      if (!entry.is_string())
        return located_error(entry.mark, path.str(), "expected a string, found " + describe_kind(entry));
      return entry.text.substr(0, entry.text.find('='));
    case Indexer::volume:
      if (entry.is_mapping()) {
        const Node* target = entry.find("target");
        if (!target || !target->is_string())
          return located_error(entry.mark, path.str(), "service volume is missing a mount target");
        return target->text;
      }
      if (entry.is_string()) {
        auto volume = parse_volume_spec(entry.text);
        if (!volume) return located_error(entry.mark, path.str(), volume.error().message());
        return volume->target;
      }
      return std::string();
    case Indexer::device:
      if (entry.is_mapping()) {
        const Node* target = entry.find("target");
        if (!target || !target->is_string())
          return located_error(entry.mark, path.str(), "service device is missing a mount target");
        return target->text;
      }
      if (entry.is_string()) {
        size_t colon = entry.text.find(':');
        if (colon == std::string::npos) return entry.text;
        size_t second = entry.text.find(':', colon + 1);
        return entry.text.substr(colon + 1, second == std::string::npos ? std::string::npos : second - colon - 1);
      }
      return std::string();
    case Indexer::mount_root:
    case Indexer::mount_secrets: {
      std::string root = indexer == Indexer::mount_secrets ? "/run/secrets" : "";
      if (entry.is_string()) return root + "/" + entry.text;
      if (entry.is_mapping()) {
        if (const Node* target = entry.find("target")) return target->scalar_string();
        const Node* source = entry.find("source");
        return root + "/" + (source ? source->scalar_string() : std::string());
      }
      return located_error(entry.mark, path.str(), "expected a string or a mapping, found " + describe_kind(entry));
    }
    case Indexer::expose:
      if (entry.is_string() || entry.is_integer()) return entry.scalar_string();
      return located_error(entry.mark, path.str(), "unsupported expose value " + describe_kind(entry));
    case Indexer::port:
      if (entry.is_integer()) return entry.scalar_string();
      if (entry.is_string()) return entry.text;
      if (entry.is_mapping()) {
        const Node* target = entry.find("target");
        if (!target) return located_error(entry.mark, path.str(), "service port is missing a target port");
        const Node* published = entry.find("published");
        const Node* host = entry.find("host_ip");
        const Node* protocol = entry.find("protocol");
        return (host ? host->scalar_string() : "0.0.0.0") + ":" +
               (published ? published->scalar_string() : "<none>") + ":" + target->scalar_string() + "/" +
               (protocol ? protocol->scalar_string() : "tcp");
      }
      return std::string();
    case Indexer::env_file:
      if (entry.is_string()) return entry.text;
      if (entry.is_mapping()) {
        const Node* file = entry.find("path");
        if (!file) return located_error(entry.mark, path.str(), "env_file entry is missing its path");
        return file->scalar_string();
      }
      return std::string();
  }
  return std::string();
}

Result<void> unicity_walk(Node& node, TreePath& path) {
  if (node.is_mapping()) {
    for (MapEntry& entry : node.entries) {
      path.push(entry.key);
      auto walked = unicity_walk(entry.value, path);
      path.pop();
      if (!walked) return walked;
    }
    return {};
  }
  if (!node.is_sequence() || path.size() < 2) return {};
  static const PathPatterns<Indexer> patterns(kUnicityPatterns, &UnicityPattern::indexer);
  if (const Indexer* indexer = patterns.match(path)) {
    std::vector<Node> kept;
    std::unordered_map<std::string, size_t> positions;
    for (size_t i = 0; i < node.items.size(); ++i) {
      path.push("[" + std::to_string(i) + "]");
      auto key = index_of(*indexer, node.items[i], path);
      path.pop();
      if (!key) return key.error();
      auto [it, inserted] = positions.emplace(std::move(*key), kept.size());
      if (inserted) kept.push_back(std::move(node.items[i]));
      else kept[it->second] = std::move(node.items[i]);
    }
    node.items = std::move(kept);
  }
  return {};
}

void take_reset_walk(Node& node, TreePath& path, ResetPaths& out) {
  if (node.is_mapping()) {
    std::vector<MapEntry> kept;
    kept.reserve(node.entries.size());
    for (MapEntry& entry : node.entries) {
      path.push(entry.key);
      if (entry.value.tag == NodeTag::reset) {
        out.paths.push_back(TreePath(path.parts()));
      } else {
        if (entry.value.tag == NodeTag::override_value) {
          out.paths.push_back(TreePath(path.parts()));
          entry.value.tag = NodeTag::none;
        }
        take_reset_walk(entry.value, path, out);
        kept.push_back(std::move(entry));
      }
      path.pop();
    }
    node.entries = std::move(kept);
  } else if (node.is_sequence()) {
    // A tagged list item is dropped from this document; the reference does not remove inherited list items.
    std::vector<Node> kept;
    for (size_t i = 0; i < node.items.size(); ++i) {
      Node& item = node.items[i];
      if (item.tag == NodeTag::reset) continue;
      item.tag = NodeTag::none;
      path.push(std::to_string(i));
      take_reset_walk(item, path, out);
      path.pop();
      kept.push_back(std::move(item));
    }
    node.items = std::move(kept);
  }
}

// Reset paths are literal keys (a key written "*" matches any, as in the reference); literal ones are looked up by
// their joined text, so that a document with many tags does not make this quadratic.
struct ResetIndex {
  std::unordered_set<std::string> literal;
  std::vector<const TreePath*> wildcard;

  static std::string joined(const std::vector<std::string>& parts) {
    std::string out;
    for (const std::string& part : parts) {
      out += part;
      out += '\x1f';
    }
    return out;
  }
  bool matches(const TreePath& path) const {
    if (literal.count(joined(path.parts()))) return true;
    return std::any_of(wildcard.begin(), wildcard.end(), [&](const TreePath* pattern) { return path.matches(*pattern); });
  }
};

void apply_resets_walk(Node& node, TreePath& path, const ResetIndex& resets) {
  if (!node.is_mapping()) return;
  std::vector<MapEntry> kept;
  kept.reserve(node.entries.size());
  for (MapEntry& entry : node.entries) {
    path.push(entry.key);
    if (!resets.matches(path)) {
      apply_resets_walk(entry.value, path, resets);
      kept.push_back(std::move(entry));
    }
    path.pop();
  }
  node.entries = std::move(kept);
}

}  // namespace

Result<Node> merge_nodes(Node base, Node overriding, const TreePath& path) {
  TreePath walk = path;
  return merge_value(std::move(base), std::move(overriding), walk);
}

Result<void> enforce_unicity(Node& tree) {
  TreePath path;
  return unicity_walk(tree, path);
}

ResetPaths take_reset_tags(Node& document) {
  ResetPaths out;
  TreePath path;
  take_reset_walk(document, path, out);
  return out;
}

void apply_resets(Node& tree, const ResetPaths& resets, const TreePath& root) {
  if (resets.empty()) return;
  ResetIndex index;
  for (const TreePath& reset : resets.paths) {
    bool wildcard = std::any_of(reset.parts().begin(), reset.parts().end(),
                                [](const std::string& part) { return part == "*" || part == "[]"; });
    if (wildcard) index.wildcard.push_back(&reset);
    else index.literal.insert(ResetIndex::joined(reset.parts()));
  }
  TreePath path = root;
  apply_resets_walk(tree, path, index);
}

}  // namespace berth::compose
