"""The catalog domain's service API: what the company sells, and at what price in each market.

Sales, inventory and the device cloud read the catalog only through these functions; they take SKU
codes (or the SKU ids their own rows keep) and market codes, never rows, and the bulk readers
answer a whole cart in one query. Changing the catalog is for staff: those verbs take the actor.
"""

from millet.catalog.device_spec import (
    DeviceSpec,
    PropertySpec,
    checked_spec,
    property_checker,
    validate_property_value,
)
from millet.catalog.services.device_models import (
    ProductFace,
    check_spec_labels,
    create_device_model,
    device_model_urns,
    get_device_model,
    product_faces,
    translate_device_model,
    update_device_model,
)
from millet.catalog.services.prices import check_price, set_price
from millet.catalog.services.products import (
    check_tax_class,
    check_taxed_in,
    checked_attributes,
    create_product,
    create_sku,
    translate_product,
    translate_sku,
    update_product,
    update_sku,
)
from millet.catalog.services.shelf import Shelf, shelves, use_shelf_reader
from millet.catalog.services.skus import (
    MAX_BULK_CODES,
    SkuInfo,
    price_for,
    prices_for,
    sku_id_for,
    sku_info,
    sku_offers,
    skus_by_id,
)
from millet.catalog.services.storefront import (
    MAX_SEARCH_LENGTH,
    ProductListing,
    ProductPage,
    SkuDetail,
    SkuListing,
    categories,
    list_products,
    product_detail,
    product_page,
    sku_detail,
)
from millet.catalog.spec_sheet import spec_labels

__all__ = [
    "DeviceSpec",
    "PropertySpec",
    "checked_spec",
    "property_checker",
    "validate_property_value",
    "MAX_BULK_CODES",
    "MAX_SEARCH_LENGTH",
    "ProductListing",
    "ProductPage",
    "Shelf",
    "SkuDetail",
    "SkuInfo",
    "SkuListing",
    "categories",
    "ProductFace",
    "check_price",
    "check_spec_labels",
    "check_tax_class",
    "check_taxed_in",
    "checked_attributes",
    "create_device_model",
    "device_model_urns",
    "create_product",
    "create_sku",
    "get_device_model",
    "product_faces",
    "list_products",
    "price_for",
    "prices_for",
    "product_detail",
    "product_page",
    "set_price",
    "shelves",
    "sku_detail",
    "sku_id_for",
    "sku_info",
    "sku_offers",
    "spec_labels",
    "skus_by_id",
    "translate_device_model",
    "translate_product",
    "translate_sku",
    "update_device_model",
    "update_product",
    "update_sku",
    "use_shelf_reader",
]
