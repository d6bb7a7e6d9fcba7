"""What can be bought and for how much (BI-1): products, periods, prices in integer rials and
the VAT rate, all from configuration. Pricing an order is pure: the same order revision and
catalog always give the same invoice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.kernel.errors import DomainError

PERIODS = (6, 12)  # months on sale
# Products a customer can put in an order; "educational" only through an application (BI-4).
SOLD = ("accounting", "payroll", "fixed_assets")
PRODUCTS = (*SOLD, "educational")
DESCRIPTIONS = {
    "accounting": "Accounting suite (accounting, treasury, inventory, sales) / بستهٔ حسابداری، خزانه‌داری، انبار و فروش",
    "payroll": "Payroll / حقوق و دستمزد",
    "fixed_assets": "Fixed assets / اموال و دارایی‌های ثابت",
    "educational": "Educational edition / نسخهٔ آموزشی",
    "extra_organizations": "Extra organization / سازمان اضافه",
    "extra_concurrent_users": "Extra concurrent user / کاربر هم‌زمان اضافه",
    "restore": "Restore from backup / بازگردانی از پشتیبان",
    "data_conversion": ("Data conversion from other software, by support (AR-5) / "
                        "تبدیل اطلاعات از نرم‌افزار دیگر توسط پشتیبانی"),
}
RETURNING_CONVERSION = ("Data conversion from other software, by support: free for returning customers / "
                        "تبدیل اطلاعات از نرم‌افزار دیگر توسط پشتیبانی: رایگان برای مشتریان قدیم")
DEFAULT_PRICES = {  # rials, per period
    ("accounting", 6): 60_000_000, ("accounting", 12): 100_000_000,
    ("payroll", 6): 20_000_000, ("payroll", 12): 35_000_000,
    ("fixed_assets", 6): 15_000_000, ("fixed_assets", 12): 25_000_000,
    ("educational", 6): 0, ("educational", 12): 0,
}


def _rials(env: Mapping[str, str], name: str, default: int) -> int:
    value = int(env.get(name, str(default)))
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


@dataclass(frozen=True)
class Catalog:
    prices: dict[tuple[str, int], int]
    vat_percent: int = 10
    extra_organization_rials: int = 10_000_000  # TE-2 limits, per unit (the support-set price)
    extra_concurrent_user_rials: int = 3_000_000
    restore_rials: int = 50_000_000  # AR-3
    data_conversion_rials: int = 40_000_000  # AR-5, a new customer's conversion by support (the operator sets it)
    periods: tuple[int, ...] = field(default=PERIODS)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Catalog:
        """PRICE_<PRODUCT>_<N>M, VAT_PERCENT, PRICE_EXTRA_ORGANIZATION_RIALS,
        PRICE_EXTRA_CONCURRENT_USER_RIALS, RESTORE_PRICE_RIALS, PRICE_DATA_CONVERSION_RIALS (see
        docs/configuration.md); the
        service passes its environment (service.build_application)."""
        prices = {(product, months): _rials(env, f"PRICE_{product.upper()}_{months}M", default)
                  for (product, months), default in DEFAULT_PRICES.items()}
        vat = _rials(env, "VAT_PERCENT", 10)
        if vat > 100:
            raise ValueError("VAT_PERCENT must be 0..100")
        return cls(prices=prices, vat_percent=vat,
                   extra_organization_rials=_rials(env, "PRICE_EXTRA_ORGANIZATION_RIALS", 10_000_000),
                   extra_concurrent_user_rials=_rials(env, "PRICE_EXTRA_CONCURRENT_USER_RIALS", 3_000_000),
                   restore_rials=_rials(env, "RESTORE_PRICE_RIALS", 50_000_000),
                   data_conversion_rials=_rials(env, "PRICE_DATA_CONVERSION_RIALS", 40_000_000))

    def check_period(self, months: int) -> None:
        if months not in self.periods:
            raise DomainError("invalid_period", allowed=list(self.periods))

    def lines_for(self, purchase: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Invoice lines (item, description, quantity, unit price, amount) for one order revision."""
        kind = purchase["kind"]
        if kind == "restore":
            return [_line("restore", 1, self.restore_rials)]
        lines = [_line(product, 1, self.prices[(product, purchase["period_months"])])
                 for product in purchase["products"]]
        if purchase.get("extra_organizations"):
            lines.append(_line("extra_organizations", purchase["extra_organizations"], self.extra_organization_rials))
        if purchase.get("extra_concurrent_users"):
            lines.append(_line("extra_concurrent_users", purchase["extra_concurrent_users"],
                               self.extra_concurrent_user_rials))
        if purchase.get("data_conversion"):  # AR-5: the line stays on a returning customer's invoice, at 0
            free = bool(purchase.get("conversion_free_for"))
            lines.append(_line("data_conversion", 1, 0 if free else self.data_conversion_rials)
                         | ({"description": RETURNING_CONVERSION} if free else {}))
        return lines

    def invoice_for(self, purchase: Mapping[str, Any]) -> dict[str, Any]:
        lines = self.lines_for(purchase)
        subtotal = sum(line["amount_rials"] for line in lines)
        # Integer rials only; half a rial rounds up (never a float anywhere).
        vat = (subtotal * self.vat_percent + 50) // 100
        return {"lines": lines, "subtotal_rials": subtotal, "discount_rials": 0, "vat_percent": self.vat_percent,
                "vat_rials": vat, "total_rials": subtotal + vat}

    def public(self) -> dict[str, Any]:
        return {
            "currency": "IRR",
            "vat_percent": self.vat_percent,
            "periods_months": list(self.periods),
            "products": [{"product": p, "description": DESCRIPTIONS[p],
                          "includes": ["accounting", "treasury", "inventory", "sales"] if p == "accounting" else [p],
                          "prices_rials": {str(m): self.prices[(p, m)] for m in self.periods}} for p in PRODUCTS],
            "limits": {"extra_organization_rials": self.extra_organization_rials,
                       "extra_concurrent_user_rials": self.extra_concurrent_user_rials},
            "restore_rials": self.restore_rials,
            "data_conversion_rials": self.data_conversion_rials,
        }


def _line(item: str, quantity: int, unit: int) -> dict[str, Any]:
    return {"item": item, "description": DESCRIPTIONS[item], "quantity": quantity,
            "unit_price_rials": unit, "amount_rials": quantity * unit}
