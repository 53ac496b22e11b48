// The parse tree of a Go text/template, shaped like Go's text/template/parse nodes so the executor
// can follow Go's evaluation rules one for one. Private to the format module.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace berth::format::internal {

enum class NodeKind {
  kList,
  kText,
  kAction,
  kIf,
  kRange,
  kWith,
  kBreak,
  kContinue,
  kPipe,
  kCommand,
  kField,
  kVariable,
  kChain,
  kIdentifier,
  kDot,
  kNil,
  kBool,
  kNumber,
  kString,
  // Parser-only markers returned by itemList; never stored in a tree.
  kEnd,
  kElse,
};

struct Node {
  Node(NodeKind k, size_t p) : kind(k), pos(p) {}
  virtual ~Node() = default;
  NodeKind kind;
  size_t pos;  // byte offset in the template text, for error locations
};

using NodePtr = std::unique_ptr<Node>;

struct ListNode : Node {
  explicit ListNode(size_t p) : Node(NodeKind::kList, p) {}
  std::vector<NodePtr> nodes;
};

struct TextNode : Node {
  TextNode(size_t p, std::string t) : Node(NodeKind::kText, p), text(std::move(t)) {}
  std::string text;
};

// $x or $x.Field.Field; idents[0] is the variable name including '$'.
struct VariableNode : Node {
  VariableNode(size_t p, std::vector<std::string> ids)
      : Node(NodeKind::kVariable, p), idents(std::move(ids)) {}
  std::vector<std::string> idents;
};

struct CommandNode : Node {
  explicit CommandNode(size_t p) : Node(NodeKind::kCommand, p) {}
  std::vector<NodePtr> args;  // args[0] is the operand or function name
};

struct PipeNode : Node {
  explicit PipeNode(size_t p) : Node(NodeKind::kPipe, p) {}
  bool is_assign = false;  // `$x = ...` rather than `$x := ...`
  std::vector<std::unique_ptr<VariableNode>> decl;
  std::vector<std::unique_ptr<CommandNode>> cmds;
};

struct ActionNode : Node {
  ActionNode(size_t p, std::unique_ptr<PipeNode> pp)
      : Node(NodeKind::kAction, p), pipe(std::move(pp)) {}
  std::unique_ptr<PipeNode> pipe;
};

// if / range / with, told apart by kind.
struct BranchNode : Node {
  BranchNode(NodeKind k, size_t p) : Node(k, p) {}
  std::unique_ptr<PipeNode> pipe;
  std::unique_ptr<ListNode> list;
  std::unique_ptr<ListNode> else_list;  // may be null
};

// .A.B.C
struct FieldNode : Node {
  FieldNode(size_t p, std::vector<std::string> ids)
      : Node(NodeKind::kField, p), idents(std::move(ids)) {}
  std::vector<std::string> idents;
};

// (pipeline).A.B: fields applied to the result of a term that is not a field or variable.
struct ChainNode : Node {
  ChainNode(size_t p, NodePtr n) : Node(NodeKind::kChain, p), node(std::move(n)) {}
  NodePtr node;
  std::vector<std::string> fields;
};

struct IdentifierNode : Node {
  IdentifierNode(size_t p, std::string n) : Node(NodeKind::kIdentifier, p), name(std::move(n)) {}
  std::string name;
};

struct BoolNode : Node {
  BoolNode(size_t p, bool v) : Node(NodeKind::kBool, p), value(v) {}
  bool value;
};

struct NumberNode : Node {
  NumberNode(size_t p, std::string t) : Node(NodeKind::kNumber, p), text(std::move(t)) {}
  std::string text;
  bool is_float = false;  // written with '.', 'e' or 'p': a float64 constant, as Go's idealConstant
  int64_t int_value = 0;
  double float_value = 0;
};

struct StringNode : Node {
  StringNode(size_t p, std::string q, std::string t)
      : Node(NodeKind::kString, p), quoted(std::move(q)), text(std::move(t)) {}
  std::string quoted;  // as written, for error messages
  std::string text;    // unquoted
};

// The parsed template plus its source, which error messages need for line:column.
struct Tree {
  std::string text;
  std::unique_ptr<ListNode> root;
};

// Go's Node.String(): the source-like rendering used in "executing ... at <...>" messages.
std::string node_string(const Node& n);

}  // namespace berth::format::internal
