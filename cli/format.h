// Output formatting shared by the listing commands: Docker-style aligned tables and `--format` templates.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace berth::cli {

// Columns padded to the widest cell plus three spaces, as Docker's tabwriter output.
std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

// A small subset of Go's text/template, enough for what scripts pass to `docker ... --format`:
//   {{.Field}}, {{.A.B.C}}, {{json .X}}, {{json .}}, {{.Field | json}}, "\t" and "\n" escapes,
//   and a leading "table " (prints a header row of the field names).
// `json_document` is the object the fields are looked up in. Unknown fields render as "<no value>", as Go does.
Result<std::string> render_template(const std::string& format, const std::string& json_document);
// The header line for a "table {{.ID}}\t{{.Names}}" format: field names in upper case with spaces, as Docker.
std::string template_header(const std::string& format);
// Whether a --format value asks for JSON lines ("json"), a table (empty or "table") or a template.
enum class FormatKind { table, json, go_template };
FormatKind classify_format(const std::string& format);

}  // namespace berth::cli
