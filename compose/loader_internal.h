// The loader's moving parts, shared by loader.cpp (files, documents, the pipeline) and loader_extends.cpp
// (include and extends, which call back into the pipeline for the files they bring in). Not a public header.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <unordered_map>
#include <string>
#include <vector>

#include "compose/loader.h"
#include "compose/merge.h"
#include "compose/node.h"
#include "compose/template.h"

namespace berth::compose::detail {

// What one model load runs with: compose-go's Options and ConfigDetails for one loadYamlModel call.
struct ModelContext {
  std::string working_dir;  // where relative paths of these files resolve
  Mapping environment;      // interpolation variables
  bool interpolate = true;
  bool resolve_paths = true;
  bool skip_include = false;
  bool skip_extends = false;
  bool skip_validation = false;
  bool skip_defaults = false;
};

// The `services` mapping of a document with its entries indexed by name (extends looks names up for every
// service; a linear search would make large files quadratic). Entries are replaced, never added, while it is used.
struct ServiceTable {
  Node* services = nullptr;
  std::unordered_map<std::string, size_t> positions;

  explicit ServiceTable(Node* mapping) : services(mapping) {
    for (size_t i = 0; i < mapping->entries.size(); ++i) positions.emplace(mapping->entries[i].key, i);
  }
  Node* find(const std::string& name) {
    auto it = positions.find(name);
    return it == positions.end() ? nullptr : &services->entries[it->second].value;
  }
};

// A file loaded only to extend one of its services.
struct ExtendedFile {
  std::string path;
  Node services;
  ResetPaths resets;
  std::unique_ptr<ServiceTable> table;
};

class Loader {
 public:
  explicit Loader(const LoadOptions& options);

  Result<Node> load_model();
  std::vector<std::string>& warnings() { return warnings_; }
  const std::string& project_name() const { return project_name_; }
  const Mapping& environment() const { return environment_; }
  const std::vector<std::string>& compose_files() const { return compose_files_; }

  // loadYamlModel: the files merged, defaulted, checked and with paths resolved.
  Result<Node> load_yaml_model(const std::vector<ComposeFileSource>& files, const ModelContext& context,
                               const std::vector<std::string>& included);
  // loadYamlFile: every document of one file processed and merged onto `model`; the resets of the last document
  // are returned (extends applies them to the bases it takes from this file).
  Result<ResetPaths> load_yaml_file(const ComposeFileSource& file, const ModelContext& context, Node& model,
                                    std::vector<std::string>& included);

  // include: loads each included project and imports its resources into `document`.
  Result<void> apply_include(Node& document, const ModelContext& context, const std::vector<std::string>& included,
                             const ResetPaths& resets);
  // extends: resolves every service's `extends` chain in `document` (from file `file`).
  Result<void> apply_extends(Node& document, const std::string& file, const ModelContext& context,
                             const ResetPaths& resets);

  Result<std::string> read_file(const std::string& path, const SourceMark& used_at);
  const std::string* display_name(const std::string& path);
  void warn(std::string message);

 private:
  struct ExtendsStep {
    std::string file;
    std::string service;
  };
  Result<const Node*> extend_service(const std::string& name, ServiceTable& services, const std::string& file,
                                     const std::string& directory, const ModelContext& context,
                                     std::vector<ExtendsStep>& chain, const ResetPaths& resets);
  Result<ExtendedFile*> load_extended_file(const std::string& path, const ModelContext& context,
                                           const SourceMark& used_at);
  Result<std::string> determine_project_name();

  const LoadOptions& options_;
  std::vector<std::string> warnings_;
  std::string project_name_;
  Mapping environment_;
  std::string home_;
  size_t files_read_ = 0;
  size_t extends_copies_ = 0;  // values copied from extended services, bounded like the reader's aliases
  std::vector<std::string> compose_files_;
  std::map<std::string, const std::string*> display_names_;
  std::map<std::string, std::vector<Node>> parsed_main_files_;  // parsed once for the project name
  std::deque<ExtendedFile> extended_files_;
};

// validation.Validate: resource definitions that are well-formed but contradictory.
Result<void> check_definitions(const Node& model);
// ResolveEnvironment: bare NAME entries of list-form environments take the value from `environment`.
void resolve_environment_lists(Node& model, const Mapping& environment);

VariableLookup lookup_in(const Mapping& environment);

}  // namespace berth::compose::detail
