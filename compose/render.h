// `berth compose config`'s output: the project printed as Docker Compose v2 prints it (compose-go's marshalling),
// YAML or JSON. Attribute order follows the reference's model, mappings are sorted, long forms throughout, and
// `$` is doubled so that the output reads back as the same project.
#pragma once

#include <string>

#include "compose/node.h"
#include "compose/project.h"

namespace berth::compose {

enum class OutputFormat { yaml, json };

struct RenderOptions {
  OutputFormat format = OutputFormat::yaml;
  bool escape_dollars = true;  // "$" -> "$$" (interpolated output must not be interpolated again)
};

std::string render_project(const Project& project, const RenderOptions& options = {});
// The merged model as it stands before typing (`config --no-interpolate`): mappings sorted.
std::string render_model(const Node& model, const RenderOptions& options = {});

}  // namespace berth::compose
