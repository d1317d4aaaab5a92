#include "compose/interpolate.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "compose/diagnostic.h"
#include "compose/go_format.h"
#include "compose/tree_path.h"

namespace berth::compose {

namespace {

enum class Cast { none, integer, floating, float32, boolean };

struct CastPattern {
  const char* pattern;
  Cast cast;
};

// compose-go's interpolateTypeCastMapping.
constexpr CastPattern kCasts[] = {
    {"services.*.cpu_count", Cast::integer},
    {"services.*.cpu_percent", Cast::floating},
    {"services.*.cpu_period", Cast::integer},
    {"services.*.cpu_quota", Cast::integer},
    {"services.*.cpu_rt_period", Cast::integer},
    {"services.*.cpu_rt_runtime", Cast::integer},
    {"services.*.cpus", Cast::float32},
    {"services.*.cpu_shares", Cast::integer},
    {"services.*.init", Cast::boolean},
    {"services.*.depends_on.*.required", Cast::boolean},
    {"services.*.depends_on.*.restart", Cast::boolean},
    {"services.*.deploy.replicas", Cast::integer},
    {"services.*.deploy.update_config.parallelism", Cast::integer},
    {"services.*.deploy.update_config.max_failure_ratio", Cast::floating},
    {"services.*.deploy.rollback_config.parallelism", Cast::integer},
    {"services.*.deploy.rollback_config.max_failure_ratio", Cast::floating},
    {"services.*.deploy.restart_policy.max_attempts", Cast::integer},
    {"services.*.deploy.placement.max_replicas_per_node", Cast::integer},
    {"services.*.healthcheck.retries", Cast::integer},
    {"services.*.healthcheck.disable", Cast::boolean},
    {"services.*.oom_kill_disable", Cast::boolean},
    {"services.*.oom_score_adj", Cast::integer},
    {"services.*.pids_limit", Cast::integer},
    {"services.*.ports.[].target", Cast::integer},
    {"services.*.privileged", Cast::boolean},
    {"services.*.read_only", Cast::boolean},
    {"services.*.scale", Cast::integer},
    {"services.*.stdin_open", Cast::boolean},
    {"services.*.tty", Cast::boolean},
    {"services.*.ulimits.*", Cast::integer},
    {"services.*.ulimits.*.hard", Cast::integer},
    {"services.*.ulimits.*.soft", Cast::integer},
    {"services.*.volumes.[].read_only", Cast::boolean},
    {"services.*.volumes.[].volume.nocopy", Cast::boolean},
    {"networks.*.external", Cast::boolean},
    {"networks.*.internal", Cast::boolean},
    {"networks.*.attachable", Cast::boolean},
    {"networks.*.enable_ipv4", Cast::boolean},
    {"networks.*.enable_ipv6", Cast::boolean},
    {"volumes.*.external", Cast::boolean},
    {"secrets.*.external", Cast::boolean},
    {"configs.*.external", Cast::boolean},
};

Cast cast_for(const TreePath& path) {
  static const PathPatterns<Cast> patterns(kCasts, &CastPattern::cast);
  const Cast* cast = patterns.match(path);
  return cast ? *cast : Cast::none;
}

// Converts a string scalar in place; false with `error` set when it does not read as the type.
bool apply_cast(Node& node, Cast cast, std::string& error) {
  const std::string& text = node.text;
  switch (cast) {
    case Cast::none: return true;
    case Cast::integer: {
      int64_t value = 0;
      std::string_view digits = text;
      if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
        error = "invalid integer " + quote(text);
        return false;
      }
      node = Node::integer(value, node.mark);
      return true;
    }
    case Cast::floating:
    case Cast::float32: {
      auto value = parse_yaml_float(text);
      if (!value || text.find('_') != std::string::npos) {
        error = "invalid number " + quote(text);
        return false;
      }
      double v = cast == Cast::float32 ? static_cast<float>(*value) : *value;
      SourceMark mark = node.mark;
      node = Node::floating(v, mark);
      if (cast == Cast::float32) node.text = go_format_float(v, 32);
      return true;
    }
    case Cast::boolean: {
      std::string lowered = text;
      std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return std::tolower(c); });
      // YAML 1.1's spellings are accepted here, as the reference does (with a warning there).
      if (lowered == "true" || lowered == "y" || lowered == "yes" || lowered == "on") {
        node = Node::boolean(true, node.mark);
        return true;
      }
      if (lowered == "false" || lowered == "n" || lowered == "no" || lowered == "off") {
        node = Node::boolean(false, node.mark);
        return true;
      }
      error = "invalid boolean " + quote(text);
      return false;
    }
  }
  return true;
}

class Interpolator {
 public:
  Interpolator(const VariableLookup& lookup, std::vector<std::string>* unset) : lookup_(lookup), unset_(unset) {}

  Result<void> walk(Node& node, TreePath& path) {
    switch (node.kind) {
      case NodeKind::null: return {};
      case NodeKind::mapping:
        for (MapEntry& entry : node.entries) {
          path.push(entry.key);
          auto walked = walk(entry.value, path);
          path.pop();
          if (!walked) return walked;
        }
        return {};
      case NodeKind::sequence:
        for (size_t i = 0; i < node.items.size(); ++i) {
          path.push("[" + std::to_string(i) + "]");
          auto walked = walk(node.items[i], path);
          path.pop();
          if (!walked) return walked;
        }
        return {};
      case NodeKind::scalar: break;
    }
    if (node.type != ScalarType::string) return {};
    if (node.text.find('$') != std::string::npos) {
      Substitution result = substitute(node.text, lookup_);
      if (result.error) return located_error(node.mark, path.str(), result.error->message());
      node.text = std::move(result.value);
      if (unset_) {
        for (std::string& name : result.unset_variables)
          if (std::find(unset_->begin(), unset_->end(), name) == unset_->end()) unset_->push_back(std::move(name));
      }
    }
    Cast cast = cast_for(path);
    if (cast != Cast::none) {
      std::string error;
      if (!apply_cast(node, cast, error))
        return located_error(node.mark, path.str(), "failed to cast to expected type: " + error);
    }
    return {};
  }

 private:
  const VariableLookup& lookup_;
  std::vector<std::string>* unset_;
};

}  // namespace

Result<void> interpolate_tree(Node& tree, const VariableLookup& lookup, std::vector<std::string>* unset_variables) {
  Interpolator interpolator(lookup, unset_variables);
  TreePath path;
  return interpolator.walk(tree, path);
}

}  // namespace berth::compose
