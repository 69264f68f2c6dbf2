"""Products, SKUs, regional prices, and the device model spec every connected product carries."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from millet.catalog.images import DRAWINGS, IMAGE_EXTENSIONS, validate_image


class DeviceModel(models.Model):
    """A MIoT-style spec (services with properties, actions, events), validated whenever it is saved."""

    urn = models.CharField(max_length=128, unique=True, help_text="e.g. urn:millet-spec:device:camera:c300:1")
    name = models.CharField(max_length=128)
    spec = models.JSONField(help_text="services -> properties / actions / events; see docs/ARCHITECTURE.md")
    spec_labels = models.JSONField(
        default=dict,
        blank=True,
        help_text="The spec's names as shoppers read them in one language (a column per language): "
        '{"Fan level": "风扇档位"}, keyed by the English label of catalog.spec_sheet.',
    )

    class Meta:
        verbose_name = _("device model")
        verbose_name_plural = _("device models")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from millet.catalog.device_spec import validate_spec_for_model

        validate_spec_for_model(self.spec)


class Product(models.Model):
    class Category(models.TextChoices):
        # Translated labels: shoppers see them in their market's language.
        PHONE = "phone", _("Phone")
        TV = "tv", _("TV")
        ROUTER = "router", _("Router")
        CAMERA = "camera", _("Camera")
        BAND = "band", _("Fitness band")
        LAPTOP = "laptop", _("Laptop")
        SPEAKER = "speaker", _("Speaker")
        HOME = "home", _("Smart home")
        ACCESSORY = "accessory", _("Accessory")

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=128)
    category = models.CharField(max_length=16, choices=Category.choices)
    description = models.TextField(blank=True)
    tax_class = models.CharField(max_length=32, default="electronics")
    device_model = models.ForeignKey(
        DeviceModel,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        help_text="Set for connected products: the spec their units speak on the device cloud.",
    )
    is_active = models.BooleanField(default=True)
    image = models.ImageField(
        upload_to="catalog/products/",
        blank=True,
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS), validate_image],
        help_text="A photo for the store: PNG, JPEG or WebP, at most 2 MB. Without one, the drawing shows.",
    )
    drawing = models.CharField(
        max_length=32,
        blank=True,
        choices=DRAWINGS,
        help_text="Millet's own drawing of the product, shown until a photo is uploaded "
        "(blank: the category's drawing).",
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name

    @property
    def is_connected(self) -> bool:
        return self.device_model_id is not None


class Sku(models.Model):
    """A sellable variant; ``serialized`` units are tracked one by one by serial number."""

    code = models.CharField(max_length=32, unique=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="skus")
    name = models.CharField(max_length=160)
    attributes = models.JSONField(default=dict, blank=True)
    serialized = models.BooleanField(default=True)
    allow_backorder = models.BooleanField(
        default=False, help_text="Accept orders (pre-orders) when out of stock."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")

    def __str__(self) -> str:
        return self.code


class PriceList(models.Model):
    """The prices of one market; one active list per market."""

    market = models.ForeignKey("regions.Market", on_delete=models.PROTECT, related_name="price_lists")
    name = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        constraints = [
            models.UniqueConstraint(
                fields=["market"], condition=models.Q(is_active=True), name="one_active_price_list"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Price(models.Model):
    """Gross (tax-inclusive where the market says so) unit price in the market's currency."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="prices")
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="prices")
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "sku"], name="one_price_per_sku_per_list"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} {self.amount}"
