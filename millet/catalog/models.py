"""Products, SKUs, regional prices, and the device model spec every connected product carries."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from millet.catalog.images import DRAWINGS, IMAGE_EXTENSIONS, validate_image


class DeviceModel(models.Model):
    """A MIoT-style spec (services with properties, actions, events), validated whenever it is saved."""

    urn = models.CharField(
        _("URN"), max_length=128, unique=True, help_text=_("e.g. urn:millet-spec:device:camera:c300:1")
    )
    name = models.CharField(_("name"), max_length=128)
    spec = models.JSONField(
        _("spec"), help_text=_("services -> properties / actions / events; see docs/ARCHITECTURE.md")
    )
    spec_labels = models.JSONField(
        _("spec labels"),
        default=dict,
        blank=True,
        help_text=_(
            "The spec's names as shoppers read them in one language (a column per language): "
            '{"Fan level": "风扇档位"}, keyed by the English label of catalog.spec_sheet.'
        ),
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

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    description = models.TextField(_("description"), blank=True)
    tax_class = models.CharField(_("tax class"), max_length=32, default="electronics")
    device_model = models.ForeignKey(
        DeviceModel,
        verbose_name=_("device model"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        help_text=_("Set for connected products: the spec their units speak on the device cloud."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    image = models.ImageField(
        _("image"),
        upload_to="catalog/products/",
        blank=True,
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS), validate_image],
        help_text=_(
            "A photo for the store: PNG, JPEG or WebP, at most 2 MB. Without one, the drawing shows."
        ),
    )
    drawing = models.CharField(
        _("drawing"),
        max_length=32,
        blank=True,
        choices=DRAWINGS,
        help_text=_(
            "Millet's own drawing of the product, shown until a photo is uploaded "
            "(blank: the category's drawing)."
        ),
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

    code = models.CharField(_("SKU code"), max_length=32, unique=True)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="skus"
    )
    name = models.CharField(_("name"), max_length=160)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    serialized = models.BooleanField(_("serialized"), default=True)
    allow_backorder = models.BooleanField(
        _("allow backorders"), default=False, help_text=_("Accept orders (pre-orders) when out of stock.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")

    def __str__(self) -> str:
        return self.code


class PriceList(models.Model):
    """The prices of one market; one active list per market."""

    market = models.ForeignKey(
        "regions.Market", verbose_name=_("market"), on_delete=models.PROTECT, related_name="price_lists"
    )
    name = models.CharField(_("name"), max_length=64)
    is_active = models.BooleanField(_("active"), default=True)

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

    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.CASCADE, related_name="prices"
    )
    sku = models.ForeignKey(Sku, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="prices")
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
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
