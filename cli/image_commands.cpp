// import, images / image ls, image inspect, rmi / image rm, tag / image tag: Docker's flags and output.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <fmt/core.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/command.h"
#include "core/fd.h"
#include "core/text.h"
#include "engine/container/usage.h"
#include "engine/image/image_store.h"
#include "engine/image/oci_documents.h"
#include "engine/image/reference.h"

namespace berth::cli {
namespace {

using image::Image;
using image::ImageStore;

void print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

// Docker's table layout (Go tabwriter: minimum width 10, padding 3), without pulling in other commands' helpers.
std::string render_columns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(std::max<size_t>(widths[i] + 3, 10) - row[i].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string short_image_id(const Image& image, bool no_trunc) {
  return no_trunc ? image.id : text::short_id(image.id.substr(image.id.find(':') + 1));
}

// "3 days ago" from the config's RFC 3339 time; "N/A" when it has none.
std::string created_since(const Image& image) {
  auto created = image::parse_rfc3339_seconds(image.created);
  if (!created) return "N/A";
  int64_t age = std::max<int64_t>(0, static_cast<int64_t>(std::time(nullptr)) - *created);
  return text::human_duration(age) + " ago";
}

// Go's time.String() for UTC: "2023-07-18 23:19:33 +0000 UTC".
std::string created_at(const Image& image) {
  auto created = image::parse_rfc3339_seconds(image.created);
  if (!created) return "";
  time_t seconds = static_cast<time_t>(*created);
  tm utc {};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S +0000 UTC", &utc);
  return buffer;
}

// One row per name, as `docker images`: repository and tag, "<none>" where the image has none.
struct ImageRow {
  const Image* image;
  std::string repository;
  std::string tag;
  std::string digest;
};

std::vector<ImageRow> image_rows(const std::vector<Image>& images) {
  std::vector<ImageRow> rows;
  for (const auto& image : images) {
    std::set<std::string> tagged_repositories;
    for (const auto& name : image.repo_tags) {
      auto reference = image::parse_reference(name);
      if (!reference) continue;
      tagged_repositories.insert(reference->familiar_repository());
      rows.push_back({&image, reference->familiar_repository(), reference->tag, "<none>"});
    }
    for (const auto& name : image.repo_digests) {
      auto reference = image::parse_reference(name);
      if (!reference) continue;
      for (auto& row : rows)
        if (row.image == &image && row.repository == reference->familiar_repository()) row.digest = reference->digest;
      if (!tagged_repositories.count(reference->familiar_repository())) {
        tagged_repositories.insert(reference->familiar_repository());
        rows.push_back({&image, reference->familiar_repository(), "<none>", reference->digest});
      }
    }
    if (tagged_repositories.empty()) rows.push_back({&image, "<none>", "<none>", "<none>"});
  }
  return rows;
}

// `docker images busybox` lists every tag of busybox; `busybox:1.36` just that one.
Result<bool> row_matches(const ImageRow& row, const std::string& filter) {
  if (filter.empty()) return true;
  auto wanted = image::parse_reference(filter);
  if (!wanted) return unexpected(Error(fmt::format("invalid reference format: {}", filter)));
  size_t slash = filter.rfind('/');
  size_t colon = filter.rfind(':');
  bool has_tag = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (row.repository != wanted->familiar_repository()) return false;
  return !has_tag || row.tag == wanted->tag;
}

// Go's encoding/json escapes <, > and & inside strings; keep `--format json` byte-compatible with Docker's.
std::string go_json(const nlohmann::json& value) {
  std::string dumped = value.dump();
  std::string escaped;
  for (char c : dumped) {
    if (c == '<') escaped += "\\u003c";
    else if (c == '>') escaped += "\\u003e";
    else if (c == '&') escaped += "\\u0026";
    else escaped += c;
  }
  return escaped;
}

struct ListFlags {
  bool quiet = false, all = false, no_trunc = false, digests = false;
  std::string format;
  std::string filter;
};

int list_images(CommandContext& context, const ListFlags& flags) {
  if (!flags.format.empty() && flags.format != "json" && flags.format != "table")
    return report_failure(Error(fmt::format("unsupported --format \"{}\": use \"json\" or \"table\"", flags.format)),
                          kExitUsage);
  auto store = ImageStore::open(context.state());
  if (!store) return report_failure(store.error());
  auto images = store->list();
  if (!images) return report_failure(images.error());
  std::vector<ImageRow> rows;
  for (auto& row : image_rows(*images)) {
    auto matches = row_matches(row, flags.filter);
    if (!matches) return report_failure(matches.error(), kExitUsage);
    if (*matches) rows.push_back(row);
  }

  if (flags.quiet) {
    std::set<std::string> printed;
    for (const auto& row : rows) {
      std::string id = short_image_id(*row.image, flags.no_trunc);
      if (printed.insert(id).second) print(id + "\n");
    }
    return 0;
  }
  if (flags.format == "json") {
    for (const auto& row : rows) {
      std::string size = text::human_size(row.image->size);
      nlohmann::json line = {{"Containers", "N/A"},       {"CreatedAt", created_at(*row.image)},
                             {"CreatedSince", created_since(*row.image)}, {"Digest", row.digest},
                             {"ID", short_image_id(*row.image, flags.no_trunc)},
                             {"Repository", row.repository}, {"SharedSize", "N/A"},
                             {"Size", size},              {"Tag", row.tag},
                             {"UniqueSize", "N/A"},       {"VirtualSize", size}};
      print(go_json(line) + "\n");
    }
    return 0;
  }
  std::vector<std::vector<std::string>> table;
  if (flags.digests)
    table.push_back({"REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"});
  else
    table.push_back({"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
  for (const auto& row : rows) {
    std::vector<std::string> cells{row.repository, row.tag};
    if (flags.digests) cells.push_back(row.digest);
    cells.push_back(short_image_id(*row.image, flags.no_trunc));
    cells.push_back(created_since(*row.image));
    cells.push_back(text::human_size(row.image->size));
    table.push_back(std::move(cells));
  }
  print(render_columns(table));
  return 0;
}

void add_list_command(CLI::App* parent, const std::string& name, CommandContext& context) {
  auto flags = std::make_shared<ListFlags>();
  auto* command = parent->add_subcommand(name, "List images");
  command->add_flag("-q,--quiet", flags->quiet, "Only show image IDs");
  command->add_flag("-a,--all", flags->all, "Show all images (berth keeps no intermediate images)");
  command->add_flag("--no-trunc", flags->no_trunc, "Don't truncate output");
  command->add_flag("--digests", flags->digests, "Show digests");
  command->add_option("--format", flags->format, "Format output: \"table\" (default) or \"json\" (one object a line)");
  command->add_option("repository", flags->filter, "REPOSITORY[:TAG]");
  command->callback([&context, flags] { context.exit_code = list_images(context, *flags); });
  if (name == "ls") command->alias("list");
}

struct ImportFlags {
  std::string file;
  std::string reference;
  std::vector<std::string> changes;
  std::string message;
};

int import_image(CommandContext& context, const ImportFlags& flags) {
  UniqueFd opened;
  int input = STDIN_FILENO;
  if (flags.file != "-") {
    opened.reset(::open(flags.file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!opened) return report_failure(Error::from_errno(fmt::format("import: open {}", flags.file)));
    input = opened.get();
  }
  auto store = ImageStore::open(context.state());
  if (!store) return report_failure(store.error());
  std::optional<std::string> reference;
  if (!flags.reference.empty()) reference = flags.reference;
  auto image = store->import_rootfs(input, reference, flags.changes, flags.message, flags.file);
  if (!image) return report_failure(std::move(image).error().wrap("import"));
  print(image->id + "\n");
  return 0;
}

void add_import_command(CLI::App* parent, CommandContext& context) {
  auto flags = std::make_shared<ImportFlags>();
  auto* command = parent->add_subcommand("import", "Import the contents from a tarball to create a filesystem image");
  command->add_option("-c,--change", flags->changes, "Apply Dockerfile instruction to the created image")
      ->allow_extra_args(false);
  command->add_option("-m,--message", flags->message, "Set commit message for imported image");
  command->add_option("file", flags->file, "FILE (plain, gzip, bzip2, xz or zstd tar) or - for standard input")
      ->required();
  command->add_option("reference", flags->reference, "REPOSITORY[:TAG]");
  command->callback([&context, flags] { context.exit_code = import_image(context, *flags); });
}

void add_inspect_command(CLI::App* parent, CommandContext& context) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* command = parent->add_subcommand("inspect", "Display detailed information on one or more images");
  command->add_option("images", *names, "IMAGE...")->required();
  command->callback([&context, names] {
    auto store = ImageStore::open(context.state());
    if (!store) {
      context.exit_code = report_failure(store.error());
      return;
    }
    nlohmann::json objects = nlohmann::json::array();
    std::vector<Error> failures;
    for (const auto& name : *names) {
      auto inspected = store->inspect_json(name);
      if (inspected)
        objects.push_back(nlohmann::json::parse(*inspected));
      else
        failures.push_back(inspected.error());
    }
    print(objects.dump(4) + "\n");
    int code = 0;
    for (const auto& failure : failures) code = report_failure(failure);
    context.exit_code = code;
  });
}

void add_remove_command(CLI::App* parent, const std::string& name, CommandContext& context) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto no_prune = std::make_shared<bool>(false);
  auto* command = parent->add_subcommand(name, "Remove one or more images");
  command->add_flag("-f,--force", *force, "Force removal of the image");
  command->add_flag("--no-prune", *no_prune, "Accepted for compatibility (berth keeps no untagged parents)");
  command->add_option("images", *names, "IMAGE...")->required();
  command->callback([&context, names, force] {
    StateRoot state = context.state();
    auto store = ImageStore::open(state);
    if (!store) {
      context.exit_code = report_failure(store.error());
      return;
    }
    int code = 0;
    for (const auto& image_name : *names) {
      // Looked up for every name: a container may appear between two removals of one command line.
      auto used = container::images_in_use(state);
      if (!used) {
        code = report_failure(std::move(used).error().wrap("listing the images containers use"));
        continue;
      }
      auto lines = store->remove(image_name, *force, [&](const std::string& id) { return used->count(id) > 0; });
      if (!lines) {
        code = report_failure(lines.error());
        continue;
      }
      for (const auto& line : *lines) print(line + "\n");
    }
    context.exit_code = code;
  });
  if (name == "rm") command->alias("remove");
}

void add_tag_command(CLI::App* parent, CommandContext& context) {
  auto source = std::make_shared<std::string>();
  auto target = std::make_shared<std::string>();
  auto* command = parent->add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
  command->add_option("source", *source, "SOURCE_IMAGE[:TAG]")->required();
  command->add_option("target", *target, "TARGET_IMAGE[:TAG]")->required();
  command->callback([&context, source, target] {
    auto store = ImageStore::open(context.state());
    if (!store) {
      context.exit_code = report_failure(store.error());
      return;
    }
    auto tagged = store->tag(*source, *target);
    context.exit_code = tagged ? 0 : report_failure(tagged.error());
  });
}

}  // namespace

void register_image_commands(CLI::App& app, CommandContext& context) {
  add_import_command(&app, context);
  add_list_command(&app, "images", context);
  add_remove_command(&app, "rmi", context);
  add_tag_command(&app, context);

  auto* image_group = app.add_subcommand("image", "Manage images");
  image_group->require_subcommand(1);
  add_list_command(image_group, "ls", context);
  add_import_command(image_group, context);
  add_inspect_command(image_group, context);
  add_remove_command(image_group, "rm", context);
  add_tag_command(image_group, context);
}

}  // namespace berth::cli
