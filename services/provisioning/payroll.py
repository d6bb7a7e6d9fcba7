"""Payroll's formulas as data (PR-6): each formula is an arithmetic expression over the
employee's inputs, the constants of the table in force and the formulas before it, evaluated
exactly (fractions) and rounded to whole rials, half up, one formula at a time — the way a
payslip shows each line. Only + - * /, min, max and tax(…) are allowed: no Python."""

from __future__ import annotations

import ast
from datetime import date
from fractions import Fraction
from typing import Any

from services.provisioning.catalogue import payroll_data

Number = Fraction


def table_in_force(on: date, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The latest table whose effective date is on or before ``on``."""
    tables = sorted((data or payroll_data())["tables"], key=lambda t: t["effective_from"])
    in_force: list[dict[str, Any]] = [t for t in tables if date.fromisoformat(t["effective_from"]) <= on]
    if not in_force:
        raise ValueError(f"no payroll table in force on {on}")
    return in_force[-1]


def progressive_tax(taxable: Fraction, brackets: list[dict[str, Any]]) -> Fraction:
    tax, lower = Fraction(0), Fraction(0)
    for bracket in brackets:
        upper = Fraction(bracket["up_to"]) if bracket["up_to"] is not None else None
        portion = (min(taxable, upper) if upper is not None else taxable) - lower
        if portion > 0:
            tax += portion * Fraction(bracket["rate"])
        if upper is None or taxable <= upper:
            break
        lower = upper
    return tax


def round_rials(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


def payslip(inputs: dict[str, int], on: date, data: dict[str, Any] | None = None) -> dict[str, int]:
    """Every formula's figure in rials, in the order the data lists them."""
    data = data or payroll_data()
    table = table_in_force(on, data)
    names: dict[str, Fraction] = {k: Fraction(str(v)) for k, v in table["constants"].items()}
    names.update({k: Fraction(v) for k, v in inputs.items()})
    lines: dict[str, int] = {}
    for formula in data["formulas"]:
        value = round_rials(evaluate(formula["expression"], names, table["tax_brackets"]))
        lines[formula["code"]] = value
        names[formula["code"]] = Fraction(value)
    return lines


def evaluate(expression: str, names: dict[str, Fraction], brackets: list[dict[str, Any]]) -> Fraction:
    return _eval(ast.parse(expression, mode="eval").body, names, brackets)


def _eval(node: ast.AST, names: dict[str, Fraction], brackets: list[dict[str, Any]]) -> Fraction:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return Fraction(str(node.value))
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise ValueError(f"unknown name {node.id!r} in a payroll formula")
        return names[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, names, brackets)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
        left, right = _eval(node.left, names, brackets), _eval(node.right, names, brackets)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        args = [_eval(arg, names, brackets) for arg in node.args]
        if node.func.id == "min" and args:
            return min(args)
        if node.func.id == "max" and args:
            return max(args)
        if node.func.id == "tax" and len(args) == 1:
            return progressive_tax(args[0], brackets)
    raise ValueError(f"not allowed in a payroll formula: {ast.dump(node)[:80]}")
