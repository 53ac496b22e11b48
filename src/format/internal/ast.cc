#include "format/internal/ast.h"

namespace berth::format::internal {
namespace {

std::string arg_string(const Node& n) {
  if (n.kind == NodeKind::kPipe) return "(" + node_string(n) + ")";
  return node_string(n);
}

std::string list_string(const ListNode* list) {
  std::string out;
  if (list)
    for (const auto& n : list->nodes) out += node_string(*n);
  return out;
}

std::string branch_string(const BranchNode& b, const char* keyword) {
  std::string out =
      std::string("{{") + keyword + " " + node_string(*b.pipe) + "}}" + list_string(b.list.get());
  if (b.else_list) out += "{{else}}" + list_string(b.else_list.get());
  return out + "{{end}}";
}

std::string pipe_string(const PipeNode& p) {
  std::string out;
  for (size_t i = 0; i < p.decl.size(); ++i) {
    if (i) out += ", ";
    out += node_string(*p.decl[i]);
  }
  if (!p.decl.empty()) out += p.is_assign ? " = " : " := ";
  for (size_t i = 0; i < p.cmds.size(); ++i) {
    if (i) out += " | ";
    out += node_string(*p.cmds[i]);
  }
  return out;
}

}  // namespace

std::string node_string(const Node& n) {
  switch (n.kind) {
    case NodeKind::kList:
      return list_string(static_cast<const ListNode*>(&n));
    case NodeKind::kText:
      return static_cast<const TextNode&>(n).text;
    case NodeKind::kAction:
      return "{{" + node_string(*static_cast<const ActionNode&>(n).pipe) + "}}";
    case NodeKind::kIf:
      return branch_string(static_cast<const BranchNode&>(n), "if");
    case NodeKind::kRange:
      return branch_string(static_cast<const BranchNode&>(n), "range");
    case NodeKind::kWith:
      return branch_string(static_cast<const BranchNode&>(n), "with");
    case NodeKind::kBreak:
      return "{{break}}";
    case NodeKind::kContinue:
      return "{{continue}}";
    case NodeKind::kEnd:
      return "{{end}}";
    case NodeKind::kElse:
      return "{{else}}";
    case NodeKind::kPipe:
      return pipe_string(static_cast<const PipeNode&>(n));
    case NodeKind::kCommand: {
      std::string out;
      for (const auto& a : static_cast<const CommandNode&>(n).args) {
        if (!out.empty()) out += ' ';
        out += arg_string(*a);
      }
      return out;
    }
    case NodeKind::kField: {
      std::string out;
      for (const auto& id : static_cast<const FieldNode&>(n).idents) out += "." + id;
      return out;
    }
    case NodeKind::kVariable: {
      std::string out;
      for (const auto& id : static_cast<const VariableNode&>(n).idents)
        out += (out.empty() ? "" : ".") + id;
      return out;
    }
    case NodeKind::kChain: {
      const auto& c = static_cast<const ChainNode&>(n);
      std::string out = arg_string(*c.node);
      for (const auto& f : c.fields) out += "." + f;
      return out;
    }
    case NodeKind::kIdentifier:
      return static_cast<const IdentifierNode&>(n).name;
    case NodeKind::kDot:
      return ".";
    case NodeKind::kNil:
      return "nil";
    case NodeKind::kBool:
      return static_cast<const BoolNode&>(n).value ? "true" : "false";
    case NodeKind::kNumber:
      return static_cast<const NumberNode&>(n).text;
    case NodeKind::kString:
      return static_cast<const StringNode&>(n).quoted;
  }
  return "";
}

}  // namespace berth::format::internal
