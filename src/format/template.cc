#include "format/template.h"

#include "format/internal/ast.h"
#include "format/internal/exec.h"
#include "format/internal/functions.h"
#include "format/internal/parser.h"

namespace berth::format {

Result<Template> Template::parse(std::string_view text) {
  auto tree = std::make_shared<internal::Tree>();
  tree->text = std::string(text);
  auto has_function = [](std::string_view name) {
    return internal::find_function(name, false) != nullptr;
  };
  BERTH_ASSIGN_OR_RETURN(tree->root, internal::parse_template(tree->text, has_function));
  return Template(std::move(tree));
}

Result<std::string> Template::execute(const nlohmann::json& dot) const {
  std::string out;
  BERTH_TRY(execute_into(dot, out));
  return out;
}

Status Template::execute_into(const nlohmann::json& dot, std::string& out,
                              const ExecOptions& options) const {
  return internal::execute_tree(*tree_, dot, options.header_functions, out);
}

}  // namespace berth::format
