#include "compose/yaml_reader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <optional>
#include <sstream>
#include <unordered_map>

#include "compose/diagnostic.h"

namespace berth::compose {

namespace {

// Raised from inside the event handler; yaml-cpp's parser unwinds cleanly on exceptions (it throws its own).
struct ReaderFailure {
  Error error;
};

class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(const std::string* file, const YamlLimits& limits) : file_(file), limits_(limits) {}

  std::vector<Node> take_documents() { return std::move(documents_); }

  void OnDocumentStart(const YAML::Mark&) override {
    stack_.clear();
    anchors_.clear();
    node_count_ = 0;
    root_.reset();
  }

  void OnDocumentEnd() override {
    if (documents_.size() >= limits_.max_documents) {
      SourceMark mark;
      mark.file = file_;
      fail(mark, "more than " + std::to_string(limits_.max_documents) + " YAML documents");
    }
    documents_.push_back(root_ ? std::move(*root_) : Node::null_value());
    root_.reset();
  }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    count_nodes(1, to_mark(mark));
    deliver(Node::null_value(to_mark(mark)), anchor, 1, false);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end())
      fail(to_mark(mark), "alias refers to an anchor that is not complete here (an anchor cannot contain itself)");
    count_nodes(it->second.node.subtree_size(), to_mark(mark));
    Node copy = it->second.node;
    deliver(std::move(copy), YAML::NullAnchor, it->second.depth, false);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    SourceMark where = to_mark(mark);
    count_nodes(1, where);
    Node node;
    bool plain_merge_key = false;
    if (tag == "?") {
      node = Node::plain(value, where);
      plain_merge_key = value == "<<";
    } else if (tag == "!") {
      node = Node::string(value, where);
    } else {
      node = tagged_scalar(tag, value, where);
    }
    deliver(std::move(node), anchor, 1, plain_merge_key);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Frame frame;
    frame.node = Node::sequence(to_mark(mark));
    frame.node.tag = tag_of(tag);
    frame.anchor = anchor;
    push(std::move(frame));
  }

  void OnSequenceEnd() override { pop(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Frame frame;
    frame.node = Node::mapping(to_mark(mark));
    frame.node.tag = tag_of(tag);
    frame.anchor = anchor;
    push(std::move(frame));
  }

  void OnMapEnd() override {
    Frame& frame = stack_.back();
    if (!frame.merge_sources.empty()) apply_merge_keys(frame);
    pop();
  }

 private:
  struct PendingKey {
    std::string text;
    SourceMark mark;
    bool merge = false;
  };

  struct Frame {
    Node node;
    YAML::anchor_t anchor = YAML::NullAnchor;
    size_t child_depth = 0;
    std::optional<PendingKey> key;
    std::unordered_map<std::string, int> key_lines;  // explicit keys, for duplicate detection
    std::vector<Node> merge_sources;                 // values of `<<` keys
    size_t merge_position = 0;                       // where the first `<<` appeared among the entries
  };

  struct Anchored {
    Node node;
    size_t depth = 1;
  };

  SourceMark to_mark(const YAML::Mark& mark) const {
    SourceMark out;
    out.file = file_;
    out.line = mark.line + 1;
    out.column = mark.column + 1;
    return out;
  }

  [[noreturn]] void fail(const SourceMark& mark, std::string_view message) {
    throw ReaderFailure{located_error(mark, "", message)};
  }

  static NodeTag tag_of(const std::string& tag) {
    if (tag == "!reset") return NodeTag::reset;
    if (tag == "!override") return NodeTag::override_value;
    return NodeTag::none;
  }

  Node tagged_scalar(const std::string& tag, const std::string& value, const SourceMark& where) {
    static const std::string kCore = "tag:yaml.org,2002:";
    NodeTag special = tag_of(tag);
    if (special != NodeTag::none) {
      Node node = Node::plain(value, where);
      node.tag = special;
      return node;
    }
    if (tag.rfind(kCore, 0) == 0) {
      std::string_view kind = std::string_view(tag).substr(kCore.size());
      if (kind == "str") return Node::string(value, where);
      if (kind == "null") return Node::null_value(where);
      Node node = Node::plain(value, where);
      bool matches = (kind == "int" && node.is_integer()) || (kind == "bool" && node.is_boolean()) ||
                     (kind == "float" && node.is_number());
      if (kind == "float" && node.is_integer()) node.type = ScalarType::floating;
      if ((kind == "int" || kind == "bool" || kind == "float") && !matches)
        fail(where, "cannot read " + quote(value) + " as !!" + std::string(kind));
      return node;
    }
    // Other tags carry no meaning in a compose file: read the value as if untagged.
    return Node::plain(value, where);
  }

  void count_nodes(size_t count, const SourceMark& where) {
    node_count_ += count;
    if (node_count_ > limits_.max_nodes)
      fail(where, "document too large: more than " + std::to_string(limits_.max_nodes) +
                      " values (after expanding aliases)");
  }

  void push(Frame frame) {
    count_nodes(1, frame.node.mark);
    if (stack_.size() + 1 > limits_.max_depth)
      fail(frame.node.mark, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    stack_.push_back(std::move(frame));
  }

  void pop() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    if (frame.key) fail(frame.node.mark, "mapping key without a value");
    deliver(std::move(frame.node), frame.anchor, frame.child_depth + 1, false);
  }

  void deliver(Node node, YAML::anchor_t anchor, size_t depth, bool plain_merge_key) {
    if (stack_.size() + depth > limits_.max_depth)
      fail(node.mark, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels (after expanding aliases)");
    if (anchor != YAML::NullAnchor) anchors_[anchor] = Anchored{node, depth};
    if (stack_.empty()) {
      root_ = std::move(node);
      return;
    }
    Frame& parent = stack_.back();
    parent.child_depth = std::max(parent.child_depth, depth);
    if (parent.node.kind == NodeKind::sequence) {
      parent.node.items.push_back(std::move(node));
      return;
    }
    if (!parent.key) {
      accept_key(parent, std::move(node), plain_merge_key);
      return;
    }
    PendingKey key = std::move(*parent.key);
    parent.key.reset();
    if (key.merge) {
      if (parent.merge_sources.empty()) parent.merge_position = parent.node.entries.size();
      parent.merge_sources.push_back(std::move(node));
      return;
    }
    // An empty value has no position of its own worth showing: point at its key.
    if (node.is_null() && node.items.empty()) node.mark = key.mark;
    parent.node.entries.push_back(MapEntry{std::move(key.text), std::move(key.mark), std::move(node)});
  }

  void accept_key(Frame& parent, Node key, bool plain_merge_key) {
    if (key.kind != NodeKind::scalar || key.type != ScalarType::string) {
      std::string what = key.kind == NodeKind::scalar ? quote(key.text) : describe_kind(key);
      fail(key.mark, "mapping keys must be strings, found " + what);
    }
    if (plain_merge_key) {
      parent.key = PendingKey{key.text, key.mark, true};
      return;
    }
    auto [it, inserted] = parent.key_lines.emplace(key.text, key.mark.line);
    if (!inserted)
      fail(key.mark, "mapping key " + quote(key.text) + " already defined at line " + std::to_string(it->second));
    parent.key = PendingKey{std::move(key.text), key.mark, false};
  }

  // YAML merge keys: keys written in the mapping win over merged ones; among merge sources, the first one that
  // defines a key wins (a sequence of sources is read in order).
  void apply_merge_keys(Frame& frame) {
    std::vector<MapEntry> merged;
    std::unordered_map<std::string, bool> seen;
    for (const MapEntry& entry : frame.node.entries) seen.emplace(entry.key, true);
    auto take = [&](const Node& source) {
      if (source.kind != NodeKind::mapping)
        fail(source.mark, "a merge key (<<) takes a mapping or a list of mappings, found " + describe_kind(source));
      for (const MapEntry& entry : source.entries) {
        if (seen.emplace(entry.key, true).second) merged.push_back(entry);
      }
    };
    for (const Node& source : frame.merge_sources) {
      if (source.kind == NodeKind::sequence) {
        for (const Node& item : source.items) take(item);
      } else {
        take(source);
      }
    }
    auto position = frame.node.entries.begin() + static_cast<ptrdiff_t>(frame.merge_position);
    frame.node.entries.insert(position, std::make_move_iterator(merged.begin()),
                              std::make_move_iterator(merged.end()));
    frame.merge_sources.clear();
  }

  const std::string* file_;
  YamlLimits limits_;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, Anchored> anchors_;
  std::optional<Node> root_;
  std::vector<Node> documents_;
  size_t node_count_ = 0;
};

}  // namespace

Result<std::vector<Node>> parse_yaml_documents(std::string_view text, std::string_view name,
                                               const YamlLimits& limits) {
  const std::string* file_name = intern_file_name(name);
  std::istringstream stream{std::string(text)};
  TreeBuilder builder(file_name, limits);
  try {
    YAML::Parser parser(stream);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const ReaderFailure& failure) {
    return failure.error;
  } catch (const YAML::Exception& e) {
    SourceMark mark;
    if (!e.mark.is_null()) {
      mark.file = file_name;
      mark.line = e.mark.line + 1;
      mark.column = e.mark.column + 1;
    } else {
      mark.file = file_name;
    }
    return located_error(mark, "", "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    SourceMark mark;
    mark.file = file_name;
    return located_error(mark, "", std::string("invalid YAML: ") + e.what());
  }
  return builder.take_documents();
}

}  // namespace berth::compose
