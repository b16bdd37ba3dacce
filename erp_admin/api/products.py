"""Products under /api/products: list (search sku/name/category; category, low_stock filters) and CRUD."""
from erp_admin.api.listing import Filter, ListSpec
from erp_admin.api.resources import ResourceAPI, register_resource
from erp_admin.models import Product
from erp_admin.schemas import ProductSchema, serialize_product

PRODUCTS = ResourceAPI(
    name="products", model=Product, schema=ProductSchema, serialize=serialize_product, component="Product",
    list_spec=ListSpec(
        sort_fields={
            "id": Product.id, "sku": Product.sku, "name": Product.name, "category": Product.category,
            "price": Product.price, "quantity": Product.quantity, "reorder_level": Product.reorder_level,
            "created_at": Product.created_at, "updated_at": Product.updated_at,
        },
        search=(Product.sku, Product.name, Product.category),
        search_resource="products",
        search_description="Case-insensitive substring of sku, name or category (% and _ match themselves).",
        filters={
            "category": Filter(Product.category, description="Exact category."),
            "low_stock": Filter(Product.low_stock, kind="boolean",
                                description="true: quantity <= reorder_level; false: the others."),
        },
        tiebreak=Product.id,
    ),
)

register_resource(PRODUCTS)
