"""Which catalog fields are translated (django-modeltranslation): a product's name and description,
a SKU's (variant's) name, and a device model's spec labels, a column per language in
``MODELTRANSLATION_LANGUAGES`` (``name_en``, ``name_zh_hans``, ...). Reading ``product.name`` gives
the active language's text, else the English one."""

from modeltranslation.translator import TranslationOptions, register

from millet.catalog.models import DeviceModel, Product, Sku


@register(Product)
class ProductTranslation(TranslationOptions):
    fields = ("name", "description")
    required_languages = ("en",)


@register(Sku)
class SkuTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("en",)


@register(DeviceModel)
class DeviceModelTranslation(TranslationOptions):
    fields = ("spec_labels",)
