import pytest
from django.core.management import call_command
from django.urls import reverse

from projects.models import Project
from tests.factories import LoanFactory, ProjectFactory, district

pytestmark = pytest.mark.django_db


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    login = client.get(reverse("login"))
    assert login.status_code == 200
    assert "登录" in login.content.decode()


def test_login_with_the_form(client, city_user):
    response = client.post(reverse("login"), {"username": "city_a", "password": "Meili-test-2025"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    client.logout()
    bad = client.post(reverse("login"), {"username": "city_a", "password": "wrong"})
    assert bad.status_code == 200 and "请输入一个正确的" in bad.content.decode()


def test_city_staff_sees_the_two_real_projects_with_their_loans(client, city_user):
    call_command("seed")
    client.force_login(city_user)
    page = client.get(reverse("home")).content.decode()
    assert "广州知识城-迳下美丽单元建设项目" in page
    assert "黄埔区岭头片区全域土地综合整治暨“美丽广州”建设项目" in page
    assert "3.00 亿元 · 国家开发银行广东省分行" in page
    assert "4.37 亿元 · 国家开发银行广东省分行" in page
    assert "30,000.00 万元" in page  # total investment in 万元, with its unit


def test_district_user_sees_only_its_district(client, yuexiu_user):
    ProjectFactory(name="黄埔的项目", district=district("440112"))
    ProjectFactory(name="越秀的项目", district=district("440104"))
    client.force_login(yuexiu_user)
    page = client.get(reverse("home")).content.decode()
    assert "越秀的项目" in page and "黄埔的项目" not in page


def test_user_without_a_role_sees_nothing(client, no_role_user):
    ProjectFactory(name="某项目")
    client.force_login(no_role_user)
    page = client.get(reverse("home")).content.decode()
    assert "某项目" not in page and "尚未分配角色" in page


@pytest.mark.parametrize("rows", [3, 40])
def test_home_runs_a_constant_number_of_queries(client, city_user, django_assert_max_num_queries, rows):
    for _ in range(rows):
        LoanFactory()
    assert Project.objects.count() == rows
    client.force_login(city_user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("home"))
    assert response.status_code == 200
