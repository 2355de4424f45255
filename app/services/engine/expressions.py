"""A restricted evaluator for the expressions diagrams carry (gateway conditions, timer values).

Diagrams are data, not code: an expression is parsed into a Python syntax tree and walked here
with an allow-list of node types and functions. There is no attribute access, no import, no
lambda or comprehension, and sizes are bounded, so `__import__('os')`, `().__class__` or
`10**10**10` are refused instead of run.
"""
import ast
import operator
from collections.abc import Mapping
from typing import Any

MAX_EXPRESSION_LENGTH = 2000
MAX_NODES = 300
MAX_INT_DIGITS = 30
MAX_SEQUENCE_LENGTH = 10_000
MAX_POWER_EXPONENT = 64

ALLOWED_FUNCTIONS = {
    "abs": abs,
    "bool": bool,
    "float": float,
    "int": int,
    "len": len,
    "max": max,
    "min": min,
    "round": round,
    "str": str,
}
SCALARS = (int, float, bool, str, type(None))
CONSTANTS = {"True": True, "False": False, "None": None, "true": True, "false": False}

BINARY_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
UNARY_OPERATORS = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos}
COMPARISONS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


class ExpressionError(Exception):
    """The expression is not allowed, or failed on the given data."""


def check_expression(source: str) -> ast.Expression:
    """Parse and check an expression without evaluating it; raise ExpressionError if refused."""
    if not isinstance(source, str):
        raise ExpressionError("an expression must be text")
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"not a valid expression: {error.msg}") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ExpressionError(f"expression has more than {MAX_NODES} parts")
    for node in nodes:
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ExpressionError(f"name '{node.id}' is not allowed")
        if isinstance(node, ast.Dict) and any(key is None for key in node.keys):
            raise ExpressionError("'**' is not allowed in an expression")
        if isinstance(node, ast.Call) and any(isinstance(arg, ast.Starred) for arg in node.args):
            raise ExpressionError("'*' arguments are not allowed")
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in ALLOWED_FUNCTIONS and not node.keywords
        ):
            raise ExpressionError("only calls to " + ", ".join(sorted(ALLOWED_FUNCTIONS)) + " are allowed")
        if not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(f"'{type(node).__name__}' is not allowed in an expression")
    return tree


def evaluate(source: str, data: Mapping[str, Any]) -> Any:
    """Evaluate an expression over task data with the restrictions described above."""
    tree = check_expression(source)
    return _Evaluator(data).visit(tree.body)


_ALLOWED_NODES = (
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp,
    ast.BinOp, ast.Compare, ast.IfExp, ast.Subscript, ast.List, ast.Tuple, ast.Set, ast.Dict,
    ast.Call, *BINARY_OPERATORS, *UNARY_OPERATORS, *COMPARISONS,
)


class _Evaluator:
    def __init__(self, data: Mapping[str, Any]):
        self.data = data

    def visit(self, node: ast.AST) -> Any:
        method = getattr(self, f"visit_{type(node).__name__}")
        return _bounded(method(node))

    def visit_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in self.data:
            return self.data[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        raise ExpressionError(f"'{node.id}' is not defined in the case data")

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        value = None
        for operand in node.values:
            value = self.visit(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        return self._apply(UNARY_OPERATORS[type(node.op)], self.visit(node.operand))

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, ast.Pow) and isinstance(right, (int, float)) and abs(right) > MAX_POWER_EXPONENT:
            raise ExpressionError(f"exponent larger than {MAX_POWER_EXPONENT}")
        if isinstance(node.op, ast.Mult):
            _check_repeat(left, right)
        if isinstance(node.op, ast.Mod) and isinstance(left, (str, bytes)):
            raise ExpressionError("'%' formatting is not allowed")
        return self._apply(BINARY_OPERATORS[type(node.op)], left, right)

    def visit_Compare(self, node: ast.Compare) -> bool:
        left = self.visit(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.visit(comparator)
            if not self._apply(COMPARISONS[type(op)], left, right):
                return False
            left = right
        return True

    def visit_IfExp(self, node: ast.IfExp) -> Any:
        return self.visit(node.body) if self.visit(node.test) else self.visit(node.orelse)

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        container, key = self.visit(node.value), self.visit(node.slice)
        if not isinstance(container, (Mapping, list, tuple, str)):
            raise ExpressionError("only lists, texts and mappings can be indexed")
        try:
            return container[key]
        except (KeyError, IndexError, TypeError) as error:
            raise ExpressionError(f"cannot index with {key!r}: {error}") from None

    def visit_List(self, node: ast.List) -> list:
        return [self.visit(item) for item in node.elts]

    def visit_Tuple(self, node: ast.Tuple) -> tuple:
        return tuple(self.visit(item) for item in node.elts)

    def visit_Set(self, node: ast.Set) -> set:
        return {self.visit(item) for item in node.elts}

    def visit_Dict(self, node: ast.Dict) -> dict:
        result = {}
        for key, value in zip(node.keys, node.values):
            if key is None:  # `{**mapping}`, which check_expression refuses
                raise ExpressionError("'**' is not allowed in an expression")
            result[self.visit(key)] = self.visit(value)
        return result

    def visit_Call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name):  # a call of anything but a name, which check_expression refuses
            raise ExpressionError("only calls to " + ", ".join(sorted(ALLOWED_FUNCTIONS)) + " are allowed")
        function = ALLOWED_FUNCTIONS[node.func.id]
        args = [self.visit(arg) for arg in node.args]
        if function is str and any(not isinstance(arg, SCALARS) for arg in args):
            raise ExpressionError("str() takes a number or a text")
        return self._apply(function, *args)

    @staticmethod
    def _apply(function, *args) -> Any:
        try:
            return function(*args)
        except ExpressionError:
            raise
        except Exception as error:  # a type or value error in the data, reported to the designer
            raise ExpressionError(f"{type(error).__name__}: {error}") from None


def _check_repeat(left: Any, right: Any) -> None:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
            if len(sequence) * count > MAX_SEQUENCE_LENGTH:
                raise ExpressionError(f"result longer than {MAX_SEQUENCE_LENGTH}")


def _bounded(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= 10**MAX_INT_DIGITS:
            raise ExpressionError(f"number with more than {MAX_INT_DIGITS} digits")
    elif isinstance(value, (str, list, tuple, set, dict)):
        _count_elements(value, MAX_SEQUENCE_LENGTH)
    return value


def _count_elements(value: Any, budget: int) -> int:
    """Elements in a value, nested ones included; refuse it past the budget (shared parts count each time)."""
    size = len(value)
    if size > budget:
        raise ExpressionError(f"result larger than {MAX_SEQUENCE_LENGTH} elements")
    if isinstance(value, str):
        return budget - size
    budget -= size
    items = value.items() if isinstance(value, dict) else value
    for item in items:
        if isinstance(item, (list, tuple, set, dict)):
            budget = _count_elements(item, budget)
    return budget
