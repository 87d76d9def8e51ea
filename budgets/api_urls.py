from rest_framework.routers import SimpleRouter

from .api import BudgetLineViewSet

router = SimpleRouter()
router.register("budget-lines", BudgetLineViewSet, basename="api-budget-lines")

urlpatterns = router.urls
