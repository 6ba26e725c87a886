"""Fee formulas over a form's answers, evaluated safely and exactly.

A formula is an arithmetic expression over numeric answers, e.g. ``floor_area * 250 + 5000``
(amounts in minor units). Allowed: numbers, answer ids, ``+ - * / //``, parentheses, and
``min``, ``max``, ``ceil``, ``floor``. Division is exact (fractions); the result is rounded
half-up to a whole minor unit.
"""

import ast
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

_FUNCTIONS = {"min", "max", "ceil", "floor"}
_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: Fraction(a // b),
}


class FormulaError(ValueError):
    pass


def formula_names(formula: str) -> set[str]:
    """Answer ids a formula uses (raises FormulaError if it is not a valid formula)."""
    tree = _parse(formula)
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id not in _FUNCTIONS
    }


def _parse(formula: str) -> ast.Expression:
    if len(formula) > 500:
        raise FormulaError(_("The formula is too long (500 characters at most)."))
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(
            _("This is not a valid formula (check the brackets and operators): %(detail)s")
            % {"detail": exc.msg}
        ) from None
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        allowed = (
            ast.Expression,
            ast.BinOp,
            ast.UnaryOp,
            ast.USub,
            ast.UAdd,
            ast.Constant,
            ast.Name,
            ast.Load,
            ast.Call,
            *_BINARY,
        )
        if not isinstance(node, allowed):
            raise FormulaError(
                _(
                    "A formula may only use numbers, question ids, + - * / //, brackets and "
                    "min, max, ceil and floor."
                )
            )
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool)
            or not isinstance(node.value, int | float)
            or not math.isfinite(node.value)
        ):
            raise FormulaError(_("Only ordinary numbers can be written in a formula."))
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS and not node.keywords
        ):
            raise FormulaError(_("Only min, max, ceil and floor can be called in a formula."))
        if isinstance(node, ast.Name) and node.id in _FUNCTIONS and id(node) not in called:
            raise FormulaError(
                _("%(name)s must be called with values, e.g. %(name)s(a, b).") % {"name": node.id}
            )
    return tree


def _to_fraction(value: Any) -> Fraction:
    if isinstance(value, bool) or value is None or value == "":
        return Fraction(int(bool(value)))
    if isinstance(value, int | Fraction):
        return Fraction(value)
    return Fraction(Decimal(str(value)))


def evaluate_formula(formula: str, answers: dict[str, Any]) -> int:
    """The fee in minor units. Missing or empty answers count as 0."""
    tree = _parse(formula)

    def ev(node: ast.AST) -> Fraction:
        match node:
            case ast.Expression(body=body):
                return ev(body)
            case ast.Constant(value=value):
                return _to_fraction(value)
            case ast.Name(id=name):
                return _to_fraction(answers.get(name))
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return -ev(operand)
            case ast.UnaryOp(op=ast.UAdd(), operand=operand):
                return ev(operand)
            case ast.BinOp(left=left, op=op, right=right):
                rhs = ev(right)
                if isinstance(op, ast.Div | ast.FloorDiv) and rhs == 0:
                    raise FormulaError(_("The formula divides by zero."))
                return _BINARY[type(op)](ev(left), rhs)
            case ast.Call(func=ast.Name(id=name), args=args):
                values = [ev(arg) for arg in args]
                if name in {"min", "max"}:
                    if not values:
                        raise FormulaError(_("%(name)s needs at least one value.") % {"name": name})
                    return min(values) if name == "min" else max(values)
                if len(values) != 1:
                    raise FormulaError(_("%(name)s takes one value.") % {"name": name})
                return Fraction(math.ceil(values[0]) if name == "ceil" else math.floor(values[0]))
        raise FormulaError("Unsupported expression.")  # pragma: no cover

    result = ev(tree)
    rounded = math.floor(result + Fraction(1, 2))
    return max(rounded, 0)


def fee_for(fee: dict[str, Any], answers: dict[str, Any]) -> int:
    """The fee a service's ``fee`` definition charges for these answers (minor units)."""
    kind = fee.get("kind", "none")
    if kind == "fixed":
        return int(fee["amount"])
    if kind == "formula":
        amount = evaluate_formula(fee["formula"], answers)
        if fee.get("minimum") is not None:
            amount = max(amount, int(fee["minimum"]))
        if fee.get("maximum") is not None:
            amount = min(amount, int(fee["maximum"]))
        return amount
    return 0
